"""The retrieval model on the tiny spec: shapes, modes, caption preprocessing, embedding helpers."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
from tiny import tiny_spec, write_tiny_text_encoder

import dtu_audio
from dtu_audio.encoders.htsat import SpecAugment
from dtu_audio.encoders.text import KNOWN_TEXT_ENCODERS, TextEncoder, canonical_text_encoder, preprocess_caption
from dtu_audio.errors import DtuError
from dtu_audio.specs import load_spec

SR = 32000


def _noise(seconds: float, seed: int = 0, channels: int | None = None) -> np.ndarray:
    shape = (round(seconds * SR),) if channels is None else (round(seconds * SR), channels)
    return (0.1 * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def test_encoders_give_unit_vectors_of_the_embed_size(model):
    audio = model.encode_audio(torch.from_numpy(np.stack([_noise(3, 1), _noise(3, 2)])))
    text = model.encode_text(["a dog barks", "rain falls then a bell rings"])
    assert audio.shape == text.shape == (2, 32)
    assert torch.allclose(audio.norm(dim=1), torch.ones(2)) and torch.allclose(text.norm(dim=1), torch.ones(2))
    assert model.temp.item() == pytest.approx(0.07)


def test_captions_are_preprocessed_like_the_original():
    assert preprocess_caption("A dog barks , then a cat meows .") == "a dog barks then a cat meows "
    # one squeeze pass, as the original: three spaces become two
    assert (
        preprocess_caption('Birds (loud) sing; "wind" blows|rain*falls!') == "birds loud sing  wind blows rain falls "
    )
    assert preprocess_caption("Two  spaces,  here") == "two spaces here"


def test_encode_text_preprocesses(model):
    embeds = model.encode_text(["A dog barks, then a cat meows.", "a dog barks then a cat meows"])
    assert torch.allclose(embeds[0], embeds[1], atol=1e-6)


def test_spec_augment_only_in_training():
    augment = SpecAugment(time_width=20, freq_width=4)
    x = torch.ones(4, 1, 100, 16)
    assert torch.equal(augment.eval()(x), x)
    torch.manual_seed(0)
    dropped = augment.train()(x) == 0
    assert dropped.any()
    # stripes span whole rows (time) or whole columns (mel bins)
    rows, cols = dropped.all(dim=3), dropped.all(dim=2)
    assert torch.equal(dropped, rows.unsqueeze(3) | cols.unsqueeze(2))


def test_train_mode_is_stochastic_and_eval_is_not(model):
    waves = torch.from_numpy(np.stack([_noise(4, 3)]))
    with torch.no_grad():
        assert torch.equal(model.encode_audio(waves), model.encode_audio(waves))
        model.train()
        torch.manual_seed(1)
        first = model.encode_audio(waves)
        torch.manual_seed(2)
        assert not torch.allclose(first, model.encode_audio(waves))


def test_embed_audio_decodes_files_like_waveforms(model, tmp_path):
    clip = _noise(3, 4, channels=2)
    sf.write(tmp_path / "clip.wav", clip, SR)
    from_file = model.embed_audio([tmp_path / "clip.wav"])
    from_wave = model.embed_audio([clip.mean(axis=1)])
    assert from_file.device.type == "cpu"
    assert torch.allclose(from_file, from_wave, atol=1e-5)


def test_long_clips_are_cropped_from_the_start_in_evaluation(model):
    long = _noise(7, 5)
    head = long[: 5 * SR]
    assert torch.allclose(model.embed_audio([long]), model.embed_audio([head]), atol=1e-6)


def test_batching_does_not_change_embeddings_of_equal_length_clips(model):
    clips = [_noise(2, seed) for seed in range(5)]
    assert torch.allclose(model.embed_audio(clips, batch_size=2), model.embed_audio(clips, batch_size=5), atol=1e-5)
    captions = ["a dog barks", "rain falls", "a man speaks while music plays"]
    assert torch.allclose(model.embed_text(captions, batch_size=1), model.embed_text(captions), atol=1e-5)


def test_embedding_helpers_restore_the_training_mode(model):
    model.train()
    model.embed_text(["a dog barks"])
    assert model.training


def test_unreadable_audio_names_the_file(model, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio")
    with pytest.raises(DtuError, match="broken.wav"):
        model.embed_audio([bad])
    with pytest.raises(DtuError, match="1-D"):
        model.embed_audio([np.zeros((2, 2, 2), dtype=np.float32)])


def test_audio_longer_than_htsat_takes_is_rejected(model):
    with pytest.raises(DtuError, match="longer than"):
        model.encode_audio(torch.zeros(1, 6 * SR))


def test_inconsistent_htsat_spec_is_rejected(tmp_path):
    spec = tiny_spec(tmp_path, {"audio.n_mels": 24})
    with pytest.raises(DtuError, match="multiple of audio.n_mels"):
        dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio)


def test_local_text_encoder_folder_loads_its_weights(tmp_path):
    folder = write_tiny_text_encoder(tmp_path / "with-weights", with_weights=True)
    encoder = TextEncoder(str(folder))
    from transformers import AutoModel

    saved = AutoModel.from_pretrained(folder, add_pooling_layer=False)
    for name, value in saved.state_dict().items():
        assert torch.equal(encoder.text_encoder.state_dict()[name], value)
    assert encoder.width == 32


def test_folder_without_config_fails_cleanly(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DtuError, match="config.json"):
        TextEncoder(str(tmp_path / "empty"))


@pytest.mark.parametrize(
    ("name", "width"),
    [
        ("bert-base-uncased", 768),
        ("bert-tiny", 128),
        ("bert-mini", 256),
        ("bert-small", 512),
        ("bert-medium", 512),
        ("bert-large", 1024),
        ("roberta-base", 768),
        ("roberta-large", 1024),
        ("distilbert", 768),
        ("distilroberta", 768),
    ],
)
def test_known_text_encoders_have_the_originals_widths(name, width):
    config_class, settings = KNOWN_TEXT_ENCODERS[canonical_text_encoder(name)]
    assert config_class(**settings).hidden_size == width


def test_tiny_preset_builds_with_bert_tiny():
    spec = load_spec("tiny", {"model.text_encoder": "bert-tiny"})
    model = dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio)
    assert model.text_encoder.width == 128
    assert model.encode_tokens(torch.tensor([[101, 2000, 102]]), torch.ones(1, 3, dtype=torch.long)).shape == (1, 32)


def test_clips_shorter_than_a_window_are_padded(model):
    assert model.embed_audio([np.ones(100, dtype=np.float32)]).shape == (1, 32)


def test_load_pretrained_reads_the_folders_weights(tmp_path):
    folder = write_tiny_text_encoder(tmp_path / "enc")
    encoder = TextEncoder(str(folder))  # no weights in the folder yet: fresh ones
    write_tiny_text_encoder(folder, with_weights=True)
    encoder.load_pretrained()
    from transformers import AutoModel

    saved = AutoModel.from_pretrained(folder, add_pooling_layer=False)
    assert torch.equal(encoder.text_encoder.embeddings.word_embeddings.weight, saved.embeddings.word_embeddings.weight)


def test_known_encoder_without_cached_tokenizer_fails_cleanly():
    spec = load_spec("tiny", {"model.text_encoder": "bert-tiny"})
    model = dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio)
    with pytest.raises(DtuError, match="bert-tiny"):
        model.encode_text(["a dog barks"])
