# IPYTHONDIR=tests/fake_colab/ipython makes every kernel report itself as Colab's.
from google.colab._shell import become_colab

become_colab(get_ipython())
