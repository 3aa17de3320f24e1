"""medialens: image and video analysis on AWS serverless, or on one machine."""

__version__ = "0.1.0"
