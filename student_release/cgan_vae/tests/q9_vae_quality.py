from otter.test_files import test_case

OK_FORMAT = False

name = "q9_vae_quality"
points = 2

