"""The observability layer: JSON logs, EMF metrics and the count of AWS calls."""
