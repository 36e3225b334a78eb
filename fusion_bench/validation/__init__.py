"""Checks of our metrics against MEFB's Matlab values on MEFB's own published fused images: which `.mat` column
holds which method (`columns`), relative differences and their summary (`compare`), scoring the published
images and comparing them with the `.mat` (`mefb_published`), and the report page (`page`)."""
