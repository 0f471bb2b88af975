from augcli.cli.app import main

main()
