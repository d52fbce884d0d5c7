from otter.test_files import test_case

OK_FORMAT = False

name = "q7_quality"
points = 3

