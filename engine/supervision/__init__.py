"""Daily supervision: inspections, rectification (销号), patrol feedback, interference register."""
