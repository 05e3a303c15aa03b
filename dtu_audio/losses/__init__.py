"""The training losses: contrastive, embedding regularisation and the temporal-order margin loss."""

from dtu_audio.losses.contrastive import contrastive_loss, embedding_regularisation
from dtu_audio.losses.temporal import temporal_hinge, temporal_margin_loss

__all__ = ["contrastive_loss", "embedding_regularisation", "temporal_hinge", "temporal_margin_loss"]
