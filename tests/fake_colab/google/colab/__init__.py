"""A stand-in for the parts of Google Colab that otter and genkit.export_submission read, for the student-journey
test (tests/test_student_journey.py): the shell's class name (google.colab._shell), ``files.upload`` /
``files.download`` and ``_message.blocking_request("get_ipynb")``. Each is driven by an environment variable:

- FAKE_COLAB_UPLOAD: a file that ``files.upload()`` copies into the working directory, as the browser would;
- FAKE_COLAB_NOTEBOOK: the notebook that ``get_ipynb`` returns as Colab's current content;
- FAKE_COLAB_DOWNLOADS: a folder that ``files.download(path)`` copies the file into.
"""
