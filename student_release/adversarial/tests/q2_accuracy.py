from otter.test_files import test_case

OK_FORMAT = False

name = "q2_accuracy"
points = 2

