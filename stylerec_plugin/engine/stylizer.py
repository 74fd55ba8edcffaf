"""One photo + one style -> a restyled photo that still shows the same product.

``Stylizer`` holds the loaded networks (create one per process; workers preload it) and
dispatches on ``StyleSpec.kind``:

* ``preset``: the 26-style network; ``preset_weights`` blends presets; strength blends the
  stylized image with the photo.
* ``reference``: the arbitrary-style pair; strength interpolates the style vector between
  the photo's own and the reference's (Ghiasi et al.), the transformer runs at the photo's
  working resolution.
* ``tone``: no network, colour/tone statistics moved toward the reference (``tone.py``).
* ``enhance``: no network, a gentle photo clean-up (``enhance.py``).

Every kind then goes through the same steps: optional preserve-colour (keep the photo's
chroma, take the stylized luminance), the recognisability floor (content SSIM; retries at
lower strengths, keeping the strongest that passes, else ``status="rejected"``), scoring
and timing. Outputs are deterministic for the same input on the same device and precision.

torch is imported when a ``Stylizer`` is created, never when this module is imported.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .errors import ImageInputError
from .gates import DEFAULT_COLOUR_LIMIT, DEFAULT_MIN_SCENE_CHANGE, DEFAULT_STRUCTURE_FLOOR, GateReport, judge
from .images import LoadedImage, blend, load_image, preserve_colour, resize_array, to_pil
from .metrics import psnr
from .product_true import compose_product_true_array
from .segment import ProductMask, find_product_array, full_frame_mask

if TYPE_CHECKING:  # pragma: no cover
    import torch

# Bump a version when the outputs of that kind change: stored variants are keyed by it.
# "-2": product-true rendering and the product-region gates (issue 10).
# "-3": masks that keep a dark product's unlit body on low-key, lifestyle-shot masks, and
# the edge glow taken out of the scene just outside the product.
# "-4": backdrop light on low-key and white parts on white sweeps (segment-3 masks), and the
# style's light held near the product's own tones.
# "-5": segment-4 masks (a flat coloured sweep seen through the product is scene).
ENGINE_VERSIONS: dict[str, str] = {
    "preset": "preset-5",
    "reference": "arbitrary-5",
    "tone": "tone-5",
    "enhance": "enhance-5",
}
KINDS = tuple(ENGINE_VERSIONS)
# "product_true": the scene gets the style, the product keeps its colours (the default);
# "artistic": the whole frame is restyled, products recoloured too (an explicit choice).
MODES = ("product_true", "artistic")
# The structure gate's floor: luminance SSIM over the product region (gates.py).
DEFAULT_FLOOR = DEFAULT_STRUCTURE_FLOOR
DEFAULT_RETRY_STRENGTHS = (0.8, 0.6, 0.4)
# The style predictor sees a centred square crop at this size, as the original pipeline did.
STYLE_INPUT_SIZE = 256
# Smallest side the networks are run at: tinier photos are upscaled for the network and back.
MIN_NETWORK_SIDE = 32
# How many reference images' style vectors / pixels are kept in memory.
REFERENCE_CACHE_SIZE = 128

PhotoSource = bytes | str | Path | Image.Image | LoadedImage | Any


@dataclass
class StyleSpec:
    """What to do to a photo. ``strength`` is in 0..1; ``reference`` is needed by "reference" and "tone"."""

    kind: str
    preset_weights: dict[int, float] | None = None
    reference: bytes | str | Path | Image.Image | None = None
    strength: float = 1.0
    preserve_colour: bool = False
    mode: str = "product_true"
    colour_limit: float = DEFAULT_COLOUR_LIMIT  # CIE76 ΔE the product's mean colour may move (product_true)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown style kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; expected one of {', '.join(MODES)}")
        self.colour_limit = float(self.colour_limit)
        if not self.colour_limit > 0:
            raise ValueError(f"colour_limit must be a positive ΔE, got {self.colour_limit}")
        strength = float(self.strength)
        if not 0.0 <= strength <= 1.0:
            raise ValueError(f"strength must be between 0 and 1, got {self.strength}")
        self.strength = strength
        if self.kind == "preset":
            if self.preset_weights is None or len(self.preset_weights) == 0:
                raise ValueError("a preset style needs preset_weights, e.g. {7: 1.0}")
            from .presets import normalise_preset_weights

            normalise_preset_weights(self.preset_weights)  # validates early, before any photo is read
        if self.kind in ("reference", "tone") and self.reference is None:
            raise ValueError(f"a {self.kind} style needs a reference image")


@dataclass
class RestyleResult:
    image: Image.Image
    status: str
    strength_used: float
    ssim: float
    psnr: float
    ms: float
    device: str
    engine: str
    engine_version: str
    width: int
    height: int
    tried: list[tuple[float, float]] = field(default_factory=list)
    gates: GateReport | None = None
    mask: ProductMask | None = None  # the mask used, at the photo's working size
    reason: str = ""  # "" when ready; otherwise why it was rejected, in words
    mode: str = "product_true"
    attempts: list[GateReport] = field(default_factory=list)  # the gate report of each try, as ``tried``

    @property
    def ok(self) -> bool:
        return self.status == "ready"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (no pixels)."""
        return {
            "status": self.status,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "device": self.device,
            "width": self.width,
            "height": self.height,
            "strength_used": round(self.strength_used, 4),
            "ssim": round(self.ssim, 4),
            "psnr": round(self.psnr, 2),
            "ms": round(self.ms, 1),
            "tried": [[round(s, 4), round(q, 4)] for s, q in self.tried],
            "mode": self.mode,
            "reason": self.reason,
            "gates": self.gates.as_dict() if self.gates is not None else None,
            "mask": None
            if self.mask is None
            else {"confidence": round(self.mask.confidence, 4), "method": self.mask.method},
        }


def source_hash(source: Any) -> str:
    """SHA-256 of an image source's content: file bytes, raw bytes, or a PIL image's pixels."""
    digest = hashlib.sha256()
    if isinstance(source, bytes | bytearray | memoryview):
        digest.update(bytes(source))
    elif isinstance(source, str | Path):
        with open(source, "rb") as fp:
            for chunk in iter(lambda: fp.read(1 << 20), b""):
                digest.update(chunk)
    elif isinstance(source, Image.Image):
        digest.update(f"{source.mode}{source.size}".encode())
        digest.update(source.tobytes())
    elif isinstance(source, LoadedImage):
        digest.update(np.ascontiguousarray(source.rgb).tobytes())
        if source.alpha is not None:
            digest.update(np.ascontiguousarray(source.alpha).tobytes())
    elif hasattr(source, "read"):
        position = source.tell() if hasattr(source, "seek") else None
        digest.update(source.read())
        if position is not None:
            source.seek(position)
    else:
        raise TypeError(f"cannot read an image from a {type(source).__name__}")
    return digest.hexdigest()


def _cpu_has_native_bf16() -> bool:
    """bf16 convolutions are only fast with AVX512-BF16 or AMX; elsewhere they are emulated and slower."""
    try:
        import torch

        if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
            return False
        flags = Path("/proc/cpuinfo").read_text(errors="ignore")
    except Exception:  # noqa: BLE001 - any doubt means plain float32
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_device(device: str | None) -> str:
    import torch

    if device in (None, "", "auto"):
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        device = "cuda:0"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} was asked for but CUDA is not available")
    if device != "cpu" and not device.startswith("cuda"):
        raise ValueError(f"unknown device {device!r}; use 'cpu', 'cuda' or 'cuda:N'")
    return device


@dataclass
class _Prepared:
    """A photo ready for the networks: RGB composited over white (what a shopper sees) plus its alpha."""

    rgb: np.ndarray
    alpha: np.ndarray | None
    mask: ProductMask | None = None

    @property
    def shown(self) -> np.ndarray:
        """The photo as a shopper sees it (what every gate compares against)."""
        return self.rgb

    def composite(self, output: np.ndarray) -> np.ndarray:
        """An output as a shopper sees it: over white where the photo is transparent."""
        if self.alpha is None:
            return output
        a = self.alpha[..., None]
        return output * a + (1.0 - a)


class Stylizer:
    """Holds loaded networks; create once per process (workers preload).

    ``device``: None picks CUDA when present, else CPU. ``precision``: "auto" uses float16 on
    CUDA, bfloat16 on CPUs with native bf16 (AVX512-BF16/AMX; measured 2x faster with a mean
    difference under one 8-bit level) and float32 elsewhere; "float32" forces full precision
    (the parity tests use it). ``threads`` sets torch's intra-op threads (None: torch default).
    ``batch``: run same-size photos of a ``restyle_batch`` through the network together
    (None: on CUDA only).
    """

    def __init__(
        self,
        device: str | None = None,
        max_side: int = 1024,
        *,
        precision: str = "auto",
        threads: int | None = None,
        batch: bool | None = None,
    ) -> None:
        import torch

        if max_side < MIN_NETWORK_SIDE:
            raise ValueError(f"max_side must be at least {MIN_NETWORK_SIDE}, got {max_side}")
        self.device = resolve_device(device)
        self.max_side = int(max_side)
        self.dtype = self._resolve_precision(precision)
        # Same-size photos share one network call on CUDA; on a small CPU batching does not pay.
        self.batch = self.device.startswith("cuda") if batch is None else bool(batch)
        if threads:
            torch.set_num_threads(int(threads))
        if self.device.startswith("cuda"):
            # Deterministic outputs: the same photo must give the same variant every time.
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
        self._torch_device = torch.device(self.device)
        self._networks: dict[str, torch.nn.Module] = {}
        self._lock = threading.RLock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._references: OrderedDict[str, np.ndarray] = OrderedDict()

    # ------------------------------------------------------------------ set-up

    def _resolve_precision(self, precision: str) -> torch.dtype:
        import torch

        table = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
        if precision == "auto":
            if self.device.startswith("cuda"):
                return torch.float16
            return torch.bfloat16 if _cpu_has_native_bf16() else torch.float32
        if precision not in table:
            raise ValueError(f"precision must be 'auto' or one of {sorted(table)}, got {precision!r}")
        if precision == "float16" and not self.device.startswith("cuda"):
            raise ValueError("float16 is only used on CUDA; on CPU use 'bfloat16' or 'float32'")
        return table[precision]

    @property
    def precision(self) -> str:
        return str(self.dtype).replace("torch.", "")

    def preload(self, kinds: Sequence[str] = ("preset", "reference")) -> None:
        """Load the networks these kinds need now (tone and enhance need none)."""
        for kind in kinds:
            if kind not in KINDS:
                raise ValueError(f"unknown style kind {kind!r}")
            if kind == "preset":
                self._network("multistyle")
            elif kind == "reference":
                self._network("predictor")
                self._network("transformer")

    def _network(self, name: str) -> torch.nn.Module:
        with self._lock:
            net = self._networks.get(name)
            if net is None:
                import torch

                from .networks import load_multistyle, load_predictor, load_transformer

                loader = {"multistyle": load_multistyle, "predictor": load_predictor, "transformer": load_transformer}
                net = loader[name]().to(self._torch_device)
                if name != "predictor":
                    # Whole-network low precision (no autocast): no per-layer casts. The predictor
                    # stays float32: its vector is also the recommender's style embedding.
                    net = net.to(self.dtype)
                if self.device == "cpu":
                    net = net.to(memory_format=torch.channels_last)
                self._networks[name] = net
            return net

    def _to_tensor(self, arrays: list[np.ndarray]) -> torch.Tensor:
        import torch

        batch = torch.from_numpy(np.ascontiguousarray(np.stack(arrays).transpose(0, 3, 1, 2)))
        batch = batch.to(self._torch_device, non_blocking=True)
        if self.device == "cpu":
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch

    # ------------------------------------------------------------------ inputs

    def _load(self, photo: PhotoSource) -> _Prepared:
        loaded = photo if isinstance(photo, LoadedImage) else load_image(photo, max_side=self.max_side)
        rgb = loaded.rgb
        if loaded.alpha is not None:
            # The network sees the cut-out on white, as a shopper would; the alpha goes back on after.
            a = loaded.alpha[..., None]
            rgb = rgb * a + (1.0 - a)
        return _Prepared(rgb=np.ascontiguousarray(rgb, dtype=np.float32), alpha=loaded.alpha)

    def _reference_rgb(self, reference: Any, max_side: int = 512) -> tuple[str, np.ndarray]:
        key = source_hash(reference) + f":{max_side}"
        with self._lock:
            if key in self._references:
                self._references.move_to_end(key)
                return key, self._references[key]
        loaded = reference if isinstance(reference, LoadedImage) else load_image(reference, max_side=max_side)
        rgb = loaded.rgb
        if loaded.alpha is not None:
            a = loaded.alpha[..., None]
            rgb = rgb * a + (1.0 - a)
        with self._lock:
            self._references[key] = rgb
            while len(self._references) > REFERENCE_CACHE_SIZE:
                self._references.popitem(last=False)
        return key, rgb

    # ------------------------------------------------------------------ style vectors

    def style_vector(self, photo: PhotoSource) -> np.ndarray:
        """The arbitrary-style predictor's 100-number embedding of a picture (float32, shape (100,)).

        Cached by content hash, so a batch of one style computes its reference's vector once.
        """
        key = source_hash(photo)
        with self._lock:
            cached = self._vectors.get(key)
            if cached is not None:
                self._vectors.move_to_end(key)
                return cached.copy()
        _, rgb = self._reference_rgb(photo, max_side=max(STYLE_INPUT_SIZE * 2, 512))
        vector = self._predict_vectors([rgb])[0]
        with self._lock:
            self._vectors[key] = vector
            while len(self._vectors) > REFERENCE_CACHE_SIZE:
                self._vectors.popitem(last=False)
        return vector.copy()

    def _predict_vectors(self, rgbs: list[np.ndarray]) -> np.ndarray:
        import torch

        squares = [_centre_square(rgb, STYLE_INPUT_SIZE) for rgb in rgbs]
        predictor = self._network("predictor")
        with torch.inference_mode():
            # Full precision: the vector is also the recommender's style embedding.
            vectors = predictor(self._to_tensor(squares).float())
        return vectors.float().cpu().numpy().astype(np.float32)

    # ------------------------------------------------------------------ networks on prepared arrays

    def _run_multistyle(self, rgbs: list[np.ndarray], weights: np.ndarray) -> list[np.ndarray]:
        import torch

        net = self._network("multistyle")
        w = torch.from_numpy(weights).to(self._torch_device)
        return self._run_padded(rgbs, lambda x: net(x, w))

    def _run_transformer(self, rgbs: list[np.ndarray], vectors: np.ndarray) -> list[np.ndarray]:
        import torch

        net = self._network("transformer")
        style = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32)).to(self._torch_device)
        return self._run_padded(rgbs, lambda x: net(x, style))

    def _run_padded(self, rgbs: list[np.ndarray], forward: Callable[[Any], Any]) -> list[np.ndarray]:
        """Run a fully convolutional net on same-size images: reflect-pad to a multiple of 4, crop after."""
        import torch

        height, width = rgbs[0].shape[:2]
        small = min(height, width) < MIN_NETWORK_SIDE
        if small:
            scale = MIN_NETWORK_SIDE / min(height, width)
            shape = (round(height * scale), round(width * scale))
            rgbs = [resize_array(rgb, shape) for rgb in rgbs]
        h, w = rgbs[0].shape[:2]
        pad_h, pad_w = (-h) % 4, (-w) % 4
        if pad_h or pad_w:
            rgbs = [np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="reflect") for rgb in rgbs]
        with torch.inference_mode():
            out = forward(self._to_tensor(rgbs))
            out = out.float().clamp(0.0, 1.0)[:, :, :h, :w].permute(0, 2, 3, 1).cpu().numpy()
        results = [np.ascontiguousarray(o, dtype=np.float32) for o in out]
        if small:
            results = [np.clip(resize_array(o, (height, width)), 0.0, 1.0) for o in results]
        return results

    # ------------------------------------------------------------------ public API

    def restyle(
        self,
        photo: PhotoSource,
        spec: StyleSpec,
        *,
        floor: float | None = DEFAULT_FLOOR,
        retry_strengths: Sequence[float] = DEFAULT_RETRY_STRENGTHS,
        mask: ProductMask | None = None,
        min_scene_change: float | None = DEFAULT_MIN_SCENE_CHANGE,
    ) -> RestyleResult:
        """Restyle one photo. Raises :class:`ImageInputError` subclasses for bad photos.

        ``mask``: the product's mask (an admin's upload or a stored analysis), at any size;
        None finds it (``find_product``). See :meth:`restyle_batch` for the gates.
        """
        result = self.restyle_batch(
            [photo],
            spec,
            floor=floor,
            retry_strengths=retry_strengths,
            masks=[mask],
            min_scene_change=min_scene_change,
            _raise=True,
        )[0]
        assert isinstance(result, RestyleResult)
        return result

    def restyle_batch(
        self,
        photos: Sequence[PhotoSource],
        spec: StyleSpec,
        *,
        floor: float | None = DEFAULT_FLOOR,
        retry_strengths: Sequence[float] = DEFAULT_RETRY_STRENGTHS,
        masks: Sequence[ProductMask | None] | None = None,
        min_scene_change: float | None = DEFAULT_MIN_SCENE_CHANGE,
        _raise: bool = False,
    ) -> list[RestyleResult | ImageInputError]:
        """Restyle many photos in one style; a bad photo yields its exception in its slot, others still succeed.

        Gates (``gates.judge``): the product's colour within ``spec.colour_limit`` (product_true
        mode only), the product region's SSIM at least ``floor``, the scene visibly changed
        (mean ΔE at least ``min_scene_change``). The asked strength is tried first, then each
        lower retry strength, until one passes: status "ready"; if none does, "rejected" with
        ``reason`` and the closest try kept for the admin. ``floor`` 0/None turns gating off:
        one attempt, "ready", the gate report still attached (contact sheets, previews).

        ``masks``: one ProductMask or None per photo (None: ``find_product`` on the photo).

        On CUDA, photos of the same working size go through the network together (one batch);
        on CPU they run one by one (batching does not speed up a 2-core CPU, and it costs memory).
        """
        gating = bool(floor)
        floor = float(floor) if floor else 0.0
        strengths = _attempt_strengths(spec.strength, retry_strengths)
        if masks is not None and len(masks) != len(photos):
            raise ValueError(f"got {len(masks)} masks for {len(photos)} photos")
        slots: list[RestyleResult | ImageInputError | None] = [None] * len(photos)
        prepared: dict[int, _Prepared] = {}
        load_ms: dict[int, float] = {}
        for i, photo in enumerate(photos):
            started = time.perf_counter()
            try:
                prepared[i] = self._load(photo)
                prepared[i].mask = self._mask_for(prepared[i], masks[i] if masks is not None else None)
            except ImageInputError as exc:
                if _raise:
                    raise
                slots[i] = exc
            load_ms[i] = (time.perf_counter() - started) * 1000.0

        gate = _Gate(spec, floor, float(min_scene_change or 0.0), gating)
        renderer = self._renderer(spec)
        for group in self._groups(prepared):
            started = time.perf_counter()
            first = renderer.first([prepared[i] for i in group])  # batched full-strength / first-attempt work
            shared_ms = (time.perf_counter() - started) * 1000.0 / len(group)
            for i, state in zip(group, first, strict=True):
                t0 = time.perf_counter()
                slots[i] = self._finish(prepared[i], spec, renderer, state, strengths, gate)
                slots[i].ms = load_ms[i] + shared_ms + (time.perf_counter() - t0) * 1000.0
        return slots  # type: ignore[return-value]

    def _mask_for(self, item: _Prepared, given: ProductMask | None) -> ProductMask:
        height, width = item.rgb.shape[:2]
        if given is not None:
            return given.resized(width, height)
        return find_product_array(item.rgb, item.alpha)

    # ------------------------------------------------------------------ internals

    def _groups(self, prepared: dict[int, _Prepared]) -> list[list[int]]:
        if not self.batch:
            return [[i] for i in prepared]
        by_shape: dict[tuple[int, int], list[int]] = {}
        for i, item in prepared.items():
            by_shape.setdefault(item.rgb.shape[:2], []).append(i)
        return list(by_shape.values())

    def _renderer(self, spec: StyleSpec) -> _Renderer:
        if spec.kind == "preset":
            return _PresetRenderer(self, spec)
        if spec.kind == "reference":
            return _ReferenceRenderer(self, spec)
        if spec.kind == "tone":
            return _ToneRenderer(self, spec)
        return _EnhanceRenderer(self, spec)

    def _finish(
        self,
        item: _Prepared,
        spec: StyleSpec,
        renderer: _Renderer,
        state: Any,
        strengths: list[float],
        gate: _Gate,
    ) -> RestyleResult:
        tried: list[tuple[float, float]] = []
        attempts: list[GateReport] = []
        best: tuple[tuple[int, float], float, np.ndarray, GateReport, float] | None = None
        chosen: tuple[float, np.ndarray, GateReport, float] | None = None
        mask = item.mask
        height, width = item.rgb.shape[:2]
        # An untrusted mask is not cut along: the whole frame keeps its colours instead.
        alpha = mask.alpha if mask is not None and mask.trusted else full_frame_mask(width, height).alpha
        for n, strength in enumerate(strengths):
            output = renderer.render(item, state, strength, first_attempt=(n == 0))
            if spec.preserve_colour:
                output = preserve_colour(item.rgb, output)
            if spec.mode == "product_true":
                # An enhancement's point is the product's light: only its chroma is held.
                output = compose_product_true_array(item.rgb, output, alpha, match_lightness=spec.kind != "enhance")
            shown = item.composite(output)
            report = gate.judge(item.shown, shown, mask)
            # The whole-frame content SSIM from the gate's own SSIM map (a second SSIM pass
            # per try cost ~5 ms at 512 px).
            score = report.frame_ssim
            tried.append((strength, score))
            attempts.append(report)
            # Closest try: fewest failed gates, then the best product-region SSIM.
            rank = (-len(report.reasons), report.region_ssim)
            if best is None or rank > best[0]:
                best = (rank, strength, output, report, score)
            if report.passed or not gate.gating:
                chosen = (strength, output, report, score)
                break
        status = "ready" if chosen is not None else "rejected"
        # A rejected result keeps its closest try (stored for the admin, never shown to shoppers).
        strength_used, output, report, score = chosen if chosen is not None else best[1:]  # type: ignore[index,misc]
        reason = ""
        if chosen is None:
            reason = f"no strength passed the gates; at {strength_used:g}: {report.reason}"
        image = to_pil(output, item.alpha)
        shown = item.composite(output)
        return RestyleResult(
            image=image,
            status=status,
            strength_used=float(strength_used),
            ssim=float(score),
            psnr=float(psnr(item.shown, shown)),
            ms=0.0,
            device=self.device if renderer.uses_network else "cpu",
            engine=spec.kind,
            engine_version=ENGINE_VERSIONS[spec.kind],
            width=image.width,
            height=image.height,
            tried=tried,
            gates=report,
            mask=mask,
            reason=reason,
            mode=spec.mode,
            attempts=attempts,
        )


@dataclass
class _Gate:
    spec: StyleSpec
    floor: float
    min_scene_change: float
    gating: bool

    def judge(self, original: np.ndarray, shown: np.ndarray, mask: ProductMask | None) -> GateReport:
        return judge(
            original,
            shown,
            mask,
            colour_limit=self.spec.colour_limit,
            structure_floor=self.floor,
            min_scene_change=self.min_scene_change,
            check_colour=self.spec.mode == "product_true",
        )


def _attempt_strengths(strength: float, retry_strengths: Sequence[float]) -> list[float]:
    """The asked strength first, then each lower retry strength, strongest first."""
    lower = sorted({float(s) for s in retry_strengths if 0.0 <= float(s) < strength}, reverse=True)
    return [float(strength), *lower]


def _centre_square(rgb: np.ndarray, size: int) -> np.ndarray:
    height, width = rgb.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return np.clip(resize_array(rgb[top : top + side, left : left + side], (size, size)), 0.0, 1.0)


class _Renderer:
    """Per-kind rendering. ``first`` does the (batchable) work once per photo; ``render`` gives one attempt."""

    uses_network = True

    def __init__(self, stylizer: Stylizer, spec: StyleSpec) -> None:
        self.stylizer = stylizer
        self.spec = spec

    def first(self, items: list[_Prepared]) -> list[Any]:
        return [None] * len(items)

    def render(self, item: _Prepared, state: Any, strength: float, *, first_attempt: bool) -> np.ndarray:
        raise NotImplementedError


class _PresetRenderer(_Renderer):
    def __init__(self, stylizer: Stylizer, spec: StyleSpec) -> None:
        super().__init__(stylizer, spec)
        from .presets import normalise_preset_weights

        self.weights = normalise_preset_weights(spec.preset_weights or {})

    def first(self, items: list[_Prepared]) -> list[Any]:
        # One network run at full strength; every attempt is a cheap blend of it with the photo.
        return self.stylizer._run_multistyle([item.rgb for item in items], self.weights)

    def render(self, item: _Prepared, state: Any, strength: float, *, first_attempt: bool) -> np.ndarray:
        return state if strength >= 1.0 else blend(item.rgb, state, strength)


class _ReferenceRenderer(_Renderer):
    def __init__(self, stylizer: Stylizer, spec: StyleSpec) -> None:
        super().__init__(stylizer, spec)
        self.reference_vector = stylizer.style_vector(spec.reference)

    def _vectors(self, own: np.ndarray, strength: float) -> np.ndarray:
        return (strength * self.reference_vector + (1.0 - strength) * own).astype(np.float32)

    def first(self, items: list[_Prepared]) -> list[Any]:
        own = self.stylizer._predict_vectors([item.rgb for item in items])
        vectors = np.stack([self._vectors(v, self.spec.strength) for v in own])
        outputs = self.stylizer._run_transformer([item.rgb for item in items], vectors)
        return [{"own": v, "first": out} for v, out in zip(own, outputs, strict=True)]

    def render(self, item: _Prepared, state: Any, strength: float, *, first_attempt: bool) -> np.ndarray:
        if first_attempt:
            return state["first"]
        return self.stylizer._run_transformer([item.rgb], self._vectors(state["own"], strength)[None])[0]


class _ToneRenderer(_Renderer):
    uses_network = False

    def __init__(self, stylizer: Stylizer, spec: StyleSpec) -> None:
        super().__init__(stylizer, spec)
        from .tone import lab_statistics

        _, reference_rgb = stylizer._reference_rgb(spec.reference)
        self.reference_stats = lab_statistics(reference_rgb)  # once per style, not per photo

    def render(self, item: _Prepared, state: Any, strength: float, *, first_attempt: bool) -> np.ndarray:
        from .tone import tone_transfer

        out = tone_transfer(item.rgb, self.reference_stats, strength=strength, content_mask=item.alpha)
        return np.clip(out, 0.0, 1.0).astype(np.float32)


class _EnhanceRenderer(_Renderer):
    uses_network = False

    def render(self, item: _Prepared, state: Any, strength: float, *, first_attempt: bool) -> np.ndarray:
        from .enhance import enhance_photo

        return np.clip(enhance_photo(item.rgb, strength=strength, alpha=item.alpha), 0.0, 1.0).astype(np.float32)
