"""The board pack: the plan as it stood on a date, computed, rendered, stored and sent."""
