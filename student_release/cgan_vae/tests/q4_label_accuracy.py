from otter.test_files import test_case

OK_FORMAT = False

name = "q4_label_accuracy"
points = 3

