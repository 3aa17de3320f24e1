"""Video analysis: streaming decode with presentation timestamps (decode.py), shot boundaries
and frame activity (shots.py), and the pieces that cut a video into segments and merge them."""
