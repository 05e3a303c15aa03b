"""Order-aware search on SynCaps-style data: does the correctly ordered clip rank above its reversed twin?

For every test clip of a generated SynCaps set (``dtu quickstart`` writes one), its twin is
rendered from the same recipe entry with the two sounds in the other order (same sources,
transforms, overlap and caption). Both go into one folder, which is indexed with each model; each
test caption is then searched over the whole folder, plainly and order-aware with each weight.
Printed per model and setting: how often the clip in the caption's order ranks above its twin
(ties count half), and recall@1/@10 of that clip, so a gain in order is not bought with retrieval.

Usage: ``python benchmarks/search_order.py --syncaps dtu-quickstart/syncaps --sources
dtu-quickstart/sources --models dtu-quickstart/runs/lambda10/best.pt [--weights 0.5 1 2]``.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

from dtu_audio.search.build import model_reference, sync_index
from dtu_audio.search.index import Index
from dtu_audio.search.layout import IndexLayout
from dtu_audio.syncaps.recipe import load_recipe
from dtu_audio.syncaps.render import write_clip
from dtu_audio.syncaps.sources import folder_sources
from dtu_audio.training.distributed import init_process_group


def write_twins(syncaps: Path, sources: Path, folder: Path) -> list[tuple[str, str, str]]:
    """Render every test clip and its order-swapped twin into ``folder``; ``(caption, clip, twin)`` each."""
    recipe, _ = load_recipe(syncaps / "recipe.json")
    source_set = folder_sources(sources)
    pairs = []
    for clip in recipe.split("test"):
        twin = replace(clip, order=3 - clip.order)
        write_clip(clip, recipe, source_set, folder)
        write_clip(twin, recipe, source_set, folder)
        pairs.append((clip.caption, clip.name, twin.name))
    return pairs


def measure(index: Index, pairs: list[tuple[str, str, str]], order_aware: bool, weight: float) -> dict[str, float]:
    """Share of captions whose clip ranks above its twin, and recall@1/@10 of the clip, in %."""
    total = len(pairs) * 2
    above = r1 = r10 = 0.0
    for caption, clip, twin in pairs:
        ranking = [hit.path for hit in index.search(caption, total, order_aware=order_aware, order_weight=weight)]
        position = ranking.index(clip)
        above += 1.0 if position < ranking.index(twin) else 0.0
        r1 += position < 1
        r10 += position < 10
    count = len(pairs)
    return {"above": 100 * above / count, "r1": 100 * r1 / count, "r10": 100 * r10 / count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--syncaps", type=Path, required=True, help="A generated SynCaps folder (recipe.json).")
    parser.add_argument("--sources", type=Path, required=True, help="Its source folder (sources.csv, audio/).")
    parser.add_argument("--models", nargs="+", required=True, help="Checkpoints or weight names.")
    parser.add_argument("--weights", type=float, nargs="+", default=[0.5, 1.0, 2.0, 4.0])
    parser.add_argument("--work", type=Path, help="Folder for the clips and indexes (default: a temporary one).")
    args = parser.parse_args()
    import dtu_audio

    work = args.work or Path(tempfile.mkdtemp(prefix="dtu-search-order-"))
    pairs = write_twins(args.syncaps, args.sources, work / "clips")
    print(f"{len(pairs)} test captions, each with its clip and the clip's reversed twin ({2 * len(pairs)} clips)")
    print(f"{'model':40} {'ranking':18} {'clip above twin %':>17} {'R@1 %':>6} {'R@10 %':>6}")
    group = init_process_group("cpu")
    for number, name in enumerate(args.models):
        layout = IndexLayout(work / f"index-{number}")
        model = dtu_audio.load_model(name)
        if not layout.database.is_file():
            sync_index(group, layout, model, model_reference(name), work / "clips", show_progress=False)
        index = Index.open(layout.folder, model=model)
        settings = [("plain", False, 0.0)] + [(f"order-aware w={w:g}", True, w) for w in args.weights]
        for label, order_aware, weight in settings:
            row = measure(index, pairs, order_aware, weight)
            print(f"{name[-40:]:40} {label:18} {row['above']:>17.1f} {row['r1']:>6.1f} {row['r10']:>6.1f}", flush=True)


if __name__ == "__main__":
    main()
