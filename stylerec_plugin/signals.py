"""Signal receivers that keep variants in step with products and styles.

The restyling pipeline connects its receivers here (see jobs.py for the work).
"""
