"""The modelling core: pure functions and models on numpy/scikit-learn, no I/O."""
