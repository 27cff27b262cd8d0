"""Everything known about each activation: values, Taylor series, Gaussian expectations, fits."""
