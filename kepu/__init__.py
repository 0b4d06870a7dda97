"""kepu: question answering over the science-literacy plan and approved science material."""
