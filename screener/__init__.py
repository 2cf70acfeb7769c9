"""screener: screen candidates' competencies and coach them on exactly their gaps."""

__version__ = "0.1.0"
