"""The rows of ``bench_transforms.py``: each augcli transform beside its Albumentations 2.0.8 twin."""

from __future__ import annotations

# ===========================================================================================
# TWINS: augcli recipe item -> Albumentations 2.0.8 constructor call (p=1 is added to both).
# Add a row when you add a transform Albumentations also has; keep the settings equivalent.
# Optional third element: {"mask": True} to give both sides a semantic mask as well, and
# {"alb_inputs": {...}} for extra keyword inputs Albumentations needs (e.g. cropping_bbox).
# ===========================================================================================
TWINS: list[tuple] = [
    # --- pixel: foundation ------------------------------------------------------------------
    (
        "RandomBrightnessContrast: {brightness_limit: 0.2, contrast_limit: 0.2}",
        "A.RandomBrightnessContrast(brightness_limit=0.2, contrast_limit=0.2)",
    ),
    (
        "ColorJitter: {brightness: 0.2, contrast: 0.2, saturation: 0.3, hue: 0.05}",
        "A.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.3, hue=0.05)",
    ),
    (
        "HueSaturationValue: {hue_shift_limit: 10, sat_shift_limit: 25, val_shift_limit: 15}",
        "A.HueSaturationValue(hue_shift_limit=10, sat_shift_limit=25, val_shift_limit=15)",
    ),
    (
        "RGBShift: {r_shift_limit: 15, g_shift_limit: 15, b_shift_limit: 15}",
        "A.RGBShift(r_shift_limit=15, g_shift_limit=15, b_shift_limit=15)",
    ),
    ("RandomGamma: {gamma_limit: [70, 150]}", "A.RandomGamma(gamma_limit=(70, 150))"),
    ("ToGray: {method: weighted_average}", "A.ToGray(method='weighted_average')"),
    ("CLAHE: {clip_limit: [1, 3]}", "A.CLAHE(clip_limit=(1, 3))"),
    (
        "Sharpen: {alpha: [0.1, 0.3], lightness: [0.9, 1.1]}",
        "A.Sharpen(alpha=(0.1, 0.3), lightness=(0.9, 1.1))",
    ),
    ("Blur: {blur_limit: [3, 7]}", "A.Blur(blur_limit=(3, 7))"),
    ("GaussianBlur: {sigma_limit: [0.2, 1.5]}", "A.GaussianBlur(sigma_limit=(0.2, 1.5))"),
    ("MotionBlur: {blur_limit: [3, 9]}", "A.MotionBlur(blur_limit=(3, 9))"),
    ("GaussNoise: {std_range: [0.02, 0.08]}", "A.GaussNoise(std_range=(0.02, 0.08))"),
    ("ImageCompression: {quality_range: [40, 90]}", "A.ImageCompression(quality_range=(40, 90))"),
    # --- pixel: colour, tone, filters ---------------------------------------------------------
    ("ToSepia: {}", "A.ToSepia()"),
    ("ChannelShuffle: {}", "A.ChannelShuffle()"),
    ("ChannelDropout: {channel_drop_range: [1, 2]}", "A.ChannelDropout(channel_drop_range=(1, 2))"),
    ("FancyPCA: {alpha: 0.1}", "A.FancyPCA(alpha=0.1)"),
    ("PlanckianJitter: {mode: blackbody}", "A.PlanckianJitter(mode='blackbody')"),
    ("Equalize: {mode: cv, by_channels: true}", "A.Equalize(mode='cv', by_channels=True)"),
    ("AutoContrast: {cutoff: 1, method: cdf}", "A.AutoContrast(cutoff=1, method='cdf')"),
    ("Posterize: {num_bits: [3, 5]}", "A.Posterize(num_bits=(3, 5))"),
    ("Solarize: {threshold_range: [0.4, 0.6]}", "A.Solarize(threshold_range=(0.4, 0.6))"),
    ("InvertImg: {}", "A.InvertImg()"),
    (
        "UnsharpMask: {blur_limit: [3, 7], alpha: [0.2, 0.5]}",
        "A.UnsharpMask(blur_limit=(3, 7), alpha=(0.2, 0.5))",
    ),
    ("Emboss: {alpha: [0.2, 0.5], strength: [0.2, 0.7]}", "A.Emboss(alpha=(0.2, 0.5), strength=(0.2, 0.7))"),
    ("RandomToneCurve: {scale: 0.1}", "A.RandomToneCurve(scale=0.1)"),
    ("Illumination: {mode: gaussian}", "A.Illumination(mode='gaussian')"),
    ("Illumination: {mode: linear}", "A.Illumination(mode='linear')"),
    ("PlasmaBrightnessContrast: {}", "A.PlasmaBrightnessContrast()"),
    ("PlasmaShadow: {}", "A.PlasmaShadow()"),
    ("ChromaticAberration: {mode: random}", "A.ChromaticAberration(mode='random')"),
    (
        "Superpixels: {p_replace: [0.1, 0.3], n_segments: [50, 150]}",
        "A.Superpixels(p_replace=(0.1, 0.3), n_segments=(50, 150))",
    ),
    ("Downscale: {scale_range: [0.3, 0.6]}", "A.Downscale(scale_range=(0.3, 0.6))"),
    ("MedianBlur: {blur_limit: [3, 7]}", "A.MedianBlur(blur_limit=(3, 7))"),
    ("AdvancedBlur: {}", "A.AdvancedBlur()"),
    ("Defocus: {radius: [3, 10]}", "A.Defocus(radius=(3, 10))"),
    (
        "GlassBlur: {sigma: 0.7, max_delta: 4, iterations: 2}",
        "A.GlassBlur(sigma=0.7, max_delta=4, iterations=2)",
    ),
    ("ZoomBlur: {}", "A.ZoomBlur()"),
    # --- pixel: noise -------------------------------------------------------------------------
    ("ISONoise: {}", "A.ISONoise()"),
    ("ShotNoise: {}", "A.ShotNoise()"),
    ("SaltAndPepper: {}", "A.SaltAndPepper()"),
    ("MultiplicativeNoise: {}", "A.MultiplicativeNoise()"),
    (
        "MultiplicativeNoise: {per_channel: true, elementwise: true}",
        "A.MultiplicativeNoise(per_channel=True, elementwise=True)",
    ),
    # --- pixel: weather -----------------------------------------------------------------------
    ("RandomFog: {fog_coef_range: [0.3, 1.0]}", "A.RandomFog(fog_coef_range=(0.3, 1.0))"),
    ("RandomRain: {}", "A.RandomRain()"),
    ("RandomSnow: {method: bleach}", "A.RandomSnow(method='bleach')"),
    ("RandomSnow: {method: texture}", "A.RandomSnow(method='texture')"),
    ("RandomSunFlare: {}", "A.RandomSunFlare()"),
    ("RandomSunFlare: {method: physics_based}", "A.RandomSunFlare(method='physics_based')"),
    ("RandomShadow: {}", "A.RandomShadow()"),
    ("RandomGravel: {}", "A.RandomGravel()"),
    ("Spatter: {mode: rain}", "A.Spatter(mode='rain')"),
    ("Spatter: {mode: mud}", "A.Spatter(mode='mud')"),
    # --- geometric (image + boxes) ------------------------------------------------------------
    ("HorizontalFlip: {}", "A.HorizontalFlip()"),
    ("VerticalFlip: {}", "A.VerticalFlip()"),
    ("Transpose: {}", "A.Transpose()"),
    ("RandomRotate90: {}", "A.RandomRotate90()"),
    ("D4: {}", "A.D4()"),
    ("Rotate: {limit: [-30, 30]}", "A.Rotate(limit=(-30, 30))"),
    ("SafeRotate: {limit: [-30, 30]}", "A.SafeRotate(limit=(-30, 30))"),
    (
        "Affine: {rotate: [-15, 15], scale: [0.9, 1.1], translate_percent: [-0.05, 0.05]}",
        "A.Affine(rotate=(-15, 15), scale=(0.9, 1.1), translate_percent=(-0.05, 0.05))",
    ),
    (
        "ShiftScaleRotate: {shift_limit: 0.05, scale_limit: 0.1, rotate_limit: 15}",
        "A.ShiftScaleRotate(shift_limit=0.05, scale_limit=0.1, rotate_limit=15)",
    ),
    ("Perspective: {scale: [0.05, 0.1]}", "A.Perspective(scale=(0.05, 0.1))"),
    ("RandomScale: {scale_limit: [-0.3, 0.3]}", "A.RandomScale(scale_limit=(-0.3, 0.3))"),
    ("ElasticTransform: {alpha: 40, sigma: 6}", "A.ElasticTransform(alpha=40, sigma=6)"),
    (
        "GridDistortion: {num_steps: 5, distort_limit: 0.3}",
        "A.GridDistortion(num_steps=5, distort_limit=0.3)",
    ),
    ("OpticalDistortion: {distort_limit: 0.1}", "A.OpticalDistortion(distort_limit=0.1)"),
    ("ThinPlateSpline: {scale_range: [0.05, 0.1]}", "A.ThinPlateSpline(scale_range=(0.05, 0.1))"),
    (
        "PiecewiseAffine: {scale: [0.02, 0.04], nb_rows: 4, nb_cols: 4}",
        "A.PiecewiseAffine(scale=(0.02, 0.04), nb_rows=4, nb_cols=4)",
    ),
    (
        "GridElasticDeform: {num_grid_xy: [4, 4], magnitude: 10}",
        "A.GridElasticDeform(num_grid_xy=(4, 4), magnitude=10)",
    ),
    ("RandomGridShuffle: {grid: [3, 3]}", "A.RandomGridShuffle(grid=(3, 3))"),
    # --- crops, pads, resizes (image + boxes) --------------------------------------------------
    ("RandomCrop: {height: 384, width: 512}", "A.RandomCrop(height=384, width=512)"),
    ("CenterCrop: {height: 384, width: 512}", "A.CenterCrop(height=384, width=512)"),
    (
        "Crop: {x_min: 40, y_min: 30, x_max: 600, y_max: 450}",
        "A.Crop(x_min=40, y_min=30, x_max=600, y_max=450)",
    ),
    (
        "RandomResizedCrop: {size: [384, 512], scale: [0.5, 1.0]}",
        "A.RandomResizedCrop(size=(384, 512), scale=(0.5, 1.0))",
    ),
    (
        "RandomSizedBBoxSafeCrop: {height: 384, width: 512}",
        "A.RandomSizedBBoxSafeCrop(height=384, width=512)",
    ),
    ("BBoxSafeRandomCrop: {}", "A.BBoxSafeRandomCrop()"),
    (
        "AtLeastOneBBoxRandomCrop: {height: 384, width: 512}",
        "A.AtLeastOneBBoxRandomCrop(height=384, width=512)",
    ),
    ("RandomCropFromBorders: {}", "A.RandomCropFromBorders()"),
    (
        "RandomCropNearBBox: {max_part_shift: [0.3, 0.3]}",
        "A.RandomCropNearBBox(max_part_shift=(0.3, 0.3))",
        {"alb_inputs": {"cropping_bbox": [200, 150, 400, 330]}},
    ),
    (
        "CropNonEmptyMaskIfExists: {height: 384, width: 512}",
        "A.CropNonEmptyMaskIfExists(height=384, width=512)",
        {"mask": True},
    ),
    ("CropAndPad: {px: [-20, 20]}", "A.CropAndPad(px=(-20, 20))"),
    ("Pad: {padding: [16, 8]}", "A.Pad(padding=(16, 8))"),
    # LetterBox has no single twin: LongestMaxSize then PadIfNeeded is the Albumentations way
    (
        "LetterBox: {size: [640, 640]}",
        "A.Compose([A.LongestMaxSize(max_size=640), A.PadIfNeeded(min_height=640, min_width=640, "
        "border_mode=0, fill=114)])",
    ),
    ("PadIfNeeded: {min_height: 512, min_width: 704}", "A.PadIfNeeded(min_height=512, min_width=704)"),
    ("Resize: {height: 384, width: 512}", "A.Resize(height=384, width=512)"),
    ("LongestMaxSize: {max_size: 512}", "A.LongestMaxSize(max_size=512)"),
    ("SmallestMaxSize: {max_size: 384}", "A.SmallestMaxSize(max_size=384)"),
    # --- dropout (image + boxes) ---------------------------------------------------------------
    (
        "CoarseDropout: {num_holes_range: [1, 4], hole_height_range: [0.05, 0.15], hole_width_range: [0.05, 0.15]}",
        "A.CoarseDropout(num_holes_range=(1, 4), hole_height_range=(0.05, 0.15), hole_width_range=(0.05, 0.15))",
    ),
    (
        "GridDropout: {ratio: 0.4, unit_size_range: [40, 80]}",
        "A.GridDropout(ratio=0.4, unit_size_range=(40, 80))",
    ),
    ("PixelDropout: {dropout_prob: 0.02}", "A.PixelDropout(dropout_prob=0.02)"),
    (
        "XYMasking: {num_masks_x: [1, 3], mask_x_length: [10, 40], num_masks_y: [1, 2], mask_y_length: [10, 30]}",
        "A.XYMasking(num_masks_x=(1, 3), mask_x_length=(10, 40), num_masks_y=(1, 2), mask_y_length=(10, 30))",
    ),
    ("Erasing: {scale: [0.02, 0.2]}", "A.Erasing(scale=(0.02, 0.2))"),
    (
        "ConstrainedCoarseDropout: {bbox_labels: [person], num_holes_range: [1, 3], hole_height_range: [0.2, 0.4], hole_width_range: [0.2, 0.4]}",
        "A.ConstrainedCoarseDropout(bbox_labels=['person'], num_holes_range=(1, 3), hole_height_range=(0.2, 0.4), hole_width_range=(0.2, 0.4))",
    ),
    ("MaskDropout: {max_objects: [1, 2]}", "A.MaskDropout(max_objects=(1, 2))", {"mask": True}),
]
