"""The fictional county of Partnershire: areas, postcodes, deprivation and boundaries.

Partnershire (county E10900001) has four shire districts: Ashworth, the county town and a mainly
urban district; Brambleford, an old industrial town with its rural hinterland; and the market
towns of Castlemere and Dunmoor with their villages. Everything is sized by population: an Output
Area holds about 320 people (135 households), an LSOA 4-7 OAs (about five, so about 1,600
people), an MSOA about five LSOAs, and a ward 2-4 LSOAs' worth of OAs.

How it is made
--------------
1. OA "seeds" are drawn around the towns and villages (and thinly everywhere), inside a smooth
   blob-shaped county. The OA polygons are their Voronoi cells, computed in metres on a local
   grid, so a town's OAs are small and a rural OA large. Seeds mirrored across the county edge
   make the outer cells end at the edge.
2. The cells are converted to WGS84 longitude/latitude and rounded to 6 decimals *vertex by
   vertex*, so neighbouring cells keep exactly the same shared vertices: the OAs tile the county
   with no gaps or overlaps, and every higher area is the exact union of its OAs.
3. Districts grow outward from their four towns over the OA adjacency graph; LSOAs are peeled off
   each district, MSOAs are peeled off its LSOAs, and wards too. Every area is therefore one
   contiguous polygon and OA < LSOA < MSOA < district < county nest exactly. Wards then trade a
   few boundary OAs, so about a quarter of LSOAs straddle two wards (as real ones do); each LSOA
   keeps a strict majority of its OAs and households in its best-fit ward.
4. Deprivation is a smooth field (high in the county-town centre and the old industrial town, low
   in a commuter belt) plus noise, turned into a national-style IMD rank and decile.
5. Postcodes (about 17 addresses each) are points inside their OA with an invented street and the
   locality (town or village) the OA belongs to. About 2% were terminated and 2% introduced
   during 2021-2025 so that "resolve the postcode at the event's date" can be tested.

Postcodes use the area ``XP`` (then ``XQ``, ``XR``, ... if a county of several million needs
more than 99 postcode districts). No geographic UK postcode area begins with X (Royal Mail uses
X only for a few non-geographic codes such as XM4 5HQ), so a Partnershire postcode can never be
a real address. They have the general UK shape (``A(A)9(A/9) 9AA``, last two letters never
C I K M O V); a validator that also applies Royal Mail's rule "no Q, V or X in the first
position" would reject them, deliberately. All area codes are in the reserved synthetic range
of :mod:`partnerhub.geography.codes`.

Eastings and northings are "OS-grid-like": a linear map of the local grid placed near the real
OS grid position of (52.4N, 2.0W). It is consistent with the longitudes and latitudes written
here, but it is not a geodetic OSGB36 transformation.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from partnerhub.geography.codes import (
    COUNTY,
    ENGLAND,
    IMD_N_LSOAS,
    LAD,
    LSOA,
    MSOA,
    NSPL_COLUMNS,
    OA,
    PCON,
    REGION,
    WARD,
    synthetic_code,
)
from partnerhub.geography.levels import AREA_LEVELS

__all__ = [
    "COUNTY_NAME",
    "LAD_NAMES",
    "MAX_PEOPLE",
    "PEOPLE_PER_LSOA",
    "POSTCODE_AREAS",
    "SyntheticGeography",
    "build_geography",
    "write_geography",
]

COUNTY_NAME = "Partnershire"
# District 0 is the county town (mainly urban), 1 the old industrial town, 2-3 market towns.
LAD_NAMES: tuple[str, ...] = ("Ashworth", "Brambleford", "Castlemere", "Dunmoor")
POSTCODE_AREAS: tuple[str, ...] = ("XP", "XQ", "XR", "XS", "XT", "XU")
PEOPLE_PER_LSOA = 1600
MAX_PEOPLE = 10_000_000

_OAS_PER_LSOA = 5
_PEOPLE_PER_HOUSEHOLD = 2.36
_MIN_LSOAS = 8
_LAD_TARGETS = (0.35, 0.25, 0.20, 0.20)  # share of OAs (so of people) per district
# Share of OA seeds by settlement: county town, industrial town, two market towns, all villages,
# dispersed countryside.
_TOWN_SHARES = (0.32, 0.13, 0.07, 0.07)
_VILLAGE_SHARE = 0.15
_TOWN_SIGMA_M = (2400.0, 1700.0, 1100.0, 1100.0)
_MIN_VILLAGES, _MAX_VILLAGES, _OAS_PER_VILLAGE = 12, 80, 40
_VILLAGE_SIGMA_M = 450.0
_MIN_SEED_GAP_M = 40.0

# Local grid (metres) -> WGS84 and OS-grid-like coordinates.
_R_M = 26_000.0  # mean county radius
_LON0 = -2.0
_LAT0 = 52.4
_M_PER_DEG_LAT = 111_250.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(_LAT0))
_E0 = 400_000
_N0 = 278_000

_COUNTY_CODE = synthetic_code(COUNTY, 1)
_REGION_CODE = synthetic_code(REGION, 1)
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters allowed in the last two places of a postcode
_TIME_WINDOW = (202102, 202512)  # yyyymm range of recent introductions / terminations
_CHANGED_SHARE = 0.02
_RUC_ORDER = ("UN1", "UF1", "RLN1", "RLF1", "RSN1", "RSF1")
_IMD_NATIONAL_MEDIAN = 17.0  # national IMD scores ~ lognormal(ln 17, 0.7)
_IMD_NATIONAL_SIGMA = 0.7

_VILLAGE_HEADS = (
    "Ash", "Bark", "Birch", "Brad", "Brook", "Bur", "Cald", "Chal", "Chel", "Cold", "Crox", "Dal",
    "Eld", "Elm", "Fair", "Fen", "Fern", "Glen", "Hal", "Hazel", "Hol", "Kings", "Lang", "Lit",
    "Marl", "Mere", "Mid", "Nether", "Oak", "Pen", "Quen", "Red", "Rod", "Sand", "Shel", "Stan",
    "Sut", "Thorn", "Tun", "Up", "Wal", "Wes", "Whit", "Wil", "Wood", "Yar",
)  # fmt: skip
_VILLAGE_TAILS = (
    "by", "bury", "combe", "cote", "den", "don", "field", "ford", "ham", "hampton", "hurst",
    "ington", "leigh", "ley", "low", "marsh", "stead", "stone", "thorpe", "ton", "well", "wick",
    "worth",
)  # fmt: skip
_STREET_STEMS = (
    "Abbey", "Acorn", "Albert", "Alder", "Alexandra", "Ash", "Aspen", "Austen", "Badger", "Barley",
    "Barn", "Beacon", "Beech", "Birch", "Blackberry", "Bluebell", "Bracken", "Bramble", "Bridge",
    "Broad", "Brook", "Brunel", "Byron", "Canal", "Castle", "Cedar", "Chapel", "Chaucer",
    "Cherry", "Chestnut", "Church", "Churchill", "Clover", "Common", "Copse", "Coronation",
    "Cromwell", "Cross", "Crown", "Daisy", "Dale", "Darwin", "Dickens", "Duke", "Elgar", "Elm",
    "Fairfield", "Falcon", "Farm", "Fern", "Field", "Forge", "Fox", "Foxglove", "Garden",
    "Gladstone", "Glebe", "Grange", "Green", "Hardy", "Hare", "Hawthorn", "Hazel", "Heath",
    "Heather", "Heron", "High", "Highfield", "Hill", "Holly", "Hop", "Ivy", "Jubilee", "Keats",
    "Kestrel", "Kiln", "King", "Kingfisher", "Lark", "Larch", "Laurel", "Lavender", "Lime",
    "Long", "Malthouse", "Manor", "Maple", "Market", "Meadow", "Mill", "Milton", "Moor", "Mount",
    "Nelson", "New", "Newton", "Nightingale", "North", "Oak", "Old School", "Orchard", "Otter",
    "Park", "Pear", "Pine", "Plough", "Pond", "Poplar", "Primrose", "Priory", "Quarry", "Queen",
    "Rectory", "Ridge", "River", "Robin", "Rose", "Rowan", "Sandy", "School", "Shelley",
    "Silver", "South", "Spring", "Springfield", "St Andrew's", "St George's", "St John's",
    "St Mary's", "St Peter's", "Stable", "Station", "Swallow", "Sycamore", "Tannery", "Tennyson",
    "Tudor", "Union", "Vicarage", "Victoria", "Warren", "Water", "Well", "Wellington", "West",
    "Westfield", "Wharf", "Willow", "Windmill", "Windsor", "Wood", "Wordsworth", "Wren", "Yew",
    "York",
)  # fmt: skip
_STREET_SUFFIXES = (
    "Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Grove", "Place",
    "Gardens", "Court", "Terrace", "View", "Rise", "Walk", "Mews", "Park", "Row", "Green",
)  # fmt: skip
_STREET_QUALIFIERS = ("Upper", "Lower", "Old", "North", "South", "East", "West", "Little", "Great")
_WARD_NAMES = (
    "Abbey", "Beacon", "Brookfield", "Canalside", "Castle", "Eastgate", "Fairfield", "Greenhill",
    "Highfield", "Hillside", "Kingsmead", "Market", "Meadowbank", "Millbrook", "Moorside",
    "Northgate", "Oakwood", "Parkside", "Priory", "Queensway", "Riverside", "Southgate",
    "Springfield", "St John's", "St Mary's", "St Peter's", "Victoria", "Westgate", "Wharfside",
    "Broadmeadow", "Chapelfields", "Cherry Orchard", "Forest", "Goldthorn", "Heathfield",
    "Larkrise", "Netherton", "Orchard", "Pennfields", "Rowley", "Stoneleigh", "Tower",
    "Weavers", "Woodlands",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class SyntheticGeography:
    """Areas, postcodes and boundaries of Partnershire; every code is in the synthetic range.

    Frames (rows in code order; codes and names are object strings):

    - ``county``: county_code, county_name, rgn_code, ctry_code
    - ``lads``: lad_code, lad_name, county_code, pcon_code (one constituency per district)
    - ``wards``: ward_code, ward_name, lad_code
    - ``msoas``: msoa_code, msoa_name, lad_code
    - ``lsoas``: lsoa_code, lsoa_name, msoa_code, lad_code, ward_code (best fit), imd_score
      (float), imd_rank, imd_decile (int64), urban (bool), ruc21ind
    - ``oas``: oa_code, lsoa_code, msoa_code, ward_code (exact), lad_code, target_households
    - ``postcodes``: pcds, oa_code, lsoa_code, msoa_code, ward_code, lad_code, county_code,
      dointr (int64 yyyymm), doterm (Int64 yyyymm, <NA> while live), lat, long (float),
      oseast1m, osnrth1m (int64), street, locality, n_addresses (int64; houses are numbered
      1..n_addresses on the street)

    ``boundaries`` maps each level of ``AREA_LEVELS`` to a GeoJSON FeatureCollection (WGS84,
    RFC 7946) whose features carry ``code``, ``name`` (an OA's name is its code) and the codes
    of the areas above.
    """

    county: pd.DataFrame
    lads: pd.DataFrame
    wards: pd.DataFrame
    msoas: pd.DataFrame
    lsoas: pd.DataFrame
    oas: pd.DataFrame
    postcodes: pd.DataFrame
    boundaries: dict[str, dict[str, Any]]


# ---------------------------------------------------------------------------------------------
# Small helpers


def _blob_radius(theta: np.ndarray, harmonics: np.ndarray) -> np.ndarray:
    """Radius of the county outline at angle ``theta``; ``harmonics`` rows are (k, amp, phase)."""
    r = np.ones_like(theta)
    for k, amp, phase in harmonics:
        r = r + amp * np.sin(k * theta + phase)
    return _R_M * r


def _to_lonlat(xy: np.ndarray) -> np.ndarray:
    lon = np.round(_LON0 + xy[:, 0] / _M_PER_DEG_LON, 6)
    lat = np.round(_LAT0 + xy[:, 1] / _M_PER_DEG_LAT, 6)
    return np.column_stack([lon, lat])


def _components(nodes: Sequence[int], adj: list[list[int]]) -> list[list[int]]:
    """Connected components of the subgraph induced by ``nodes``, each sorted, by first node."""
    member = set(nodes)
    seen: set[int] = set()
    out: list[list[int]] = []
    for start in sorted(nodes):
        if start in seen:
            continue
        seen.add(start)
        comp = [start]
        stack = [start]
        while stack:
            u = stack.pop()
            for v in adj[u]:
                if v in member and v not in seen:
                    seen.add(v)
                    comp.append(v)
                    stack.append(v)
        out.append(sorted(comp))
    return out


def _pairs_to_adjacency(pairs: np.ndarray, n: int) -> list[list[int]]:
    adj: list[list[int]] = [[] for _ in range(n)]
    if len(pairs):
        both = np.unique(np.vstack([pairs, pairs[:, ::-1]]), axis=0)
        for a, b in both.tolist():
            if a != b:
                adj[a].append(b)
    return [sorted(set(a)) for a in adj]


def _edge_adjacency(polys: np.ndarray) -> np.ndarray:
    """Pairs (i, j), i < j, of polygons sharing an edge of positive length (exact vertices)."""
    coords, idx = shapely.get_coordinates(polys, return_index=True)
    q = np.round(coords * 1e6).astype(np.int64)
    same = idx[:-1] == idx[1:]
    a, b, owner = q[:-1][same], q[1:][same], idx[:-1][same]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo = np.where(swap[:, None], b, a)
    hi = np.where(swap[:, None], a, b)
    keep = np.any(lo != hi, axis=1)
    keys = np.column_stack([lo, hi])[keep]
    owner = owner[keep]
    order = np.lexsort((owner, keys[:, 3], keys[:, 2], keys[:, 1], keys[:, 0]))
    keys, owner = keys[order], owner[order]
    eq = np.all(keys[1:] == keys[:-1], axis=1)
    pairs = np.column_stack([owner[:-1][eq], owner[1:][eq]])
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(np.sort(pairs, axis=1), axis=0)


def _grow_part(
    seed: int,
    members: set[int],
    grp: list[int],
    adj: list[list[int]],
    xy: np.ndarray,
    weight: np.ndarray,
    target: float,
) -> tuple[set[int], list[list[int]]]:
    """Grow a compact part of about ``target`` weight from ``seed``; also the rest's pieces."""
    part = {seed}
    part_w = float(weight[seed])
    d2 = ((xy - xy[seed]) ** 2).sum(axis=1)
    heap = [(float(d2[v]), v) for v in adj[seed] if v in members]
    heapq.heapify(heap)
    while heap and part_w < target:
        _, v = heapq.heappop(heap)
        if v in part:
            continue
        if part_w + weight[v] - target > target - part_w:
            break
        part.add(v)
        part_w += float(weight[v])
        for u in adj[v]:
            if u in members and u not in part:
                heapq.heappush(heap, (float(d2[u]), u))
    return part, _components([v for v in grp if v not in part], adj)


def _peel(
    group: Sequence[int],
    adj: list[list[int]],
    xy: np.ndarray,
    weight: np.ndarray,
    unit: float,
) -> list[list[int]]:
    """Split a group of graph nodes into contiguous parts of about ``unit`` total weight.

    Each part is grown from the node farthest from the group's centre, taking the nearest
    neighbours first, so parts are compact and peeled from the outside in. Pieces of the rest
    that the new part cuts off and that are too small to stand alone join the new part. A large
    group is first halved the same way, so the work grows as n log n, not n squared.
    """
    parts: list[list[int]] = []
    todo = deque(_components(group, adj))
    while todo:
        grp = todo.popleft()
        total = float(weight[grp].sum())
        k = max(1, int(total / unit + 0.5))
        if k == 1:
            parts.append(grp)
            continue
        part_k = k // 2 if k > 6 else 1
        target = total * part_k / k
        g = np.asarray(grp)
        centre = xy[g].mean(axis=0)
        far = np.argsort(-((xy[g] - centre) ** 2).sum(axis=1), kind="stable")
        members = set(grp)
        best: tuple[float, set[int], list[list[int]]] | None = None
        # Grow from the farthest node; if that strands small pieces, try a few other starts.
        for seed in g[far[:5]].tolist():
            part, comps = _grow_part(seed, members, grp, adj, xy, weight, target)
            stranded = sum(float(weight[c].sum()) for c in comps if weight[c].sum() < 0.6 * unit)
            if best is None or stranded < best[0]:
                best = (stranded, part, comps)
            if stranded == 0:
                break
        assert best is not None
        _, part, comps = best
        for comp in comps:
            if float(weight[comp].sum()) < 0.6 * unit:
                part.update(comp)
            else:
                todo.append(comp)
        if part_k == 1:
            parts.append(sorted(part))
        else:
            todo.append(sorted(part))
    return parts


def _districts(
    adj: list[list[int]], xy: np.ndarray, town_nodes: list[int], centres: np.ndarray
) -> np.ndarray:
    """District of each OA: a compact county-town district first, then three rural ones."""
    n = len(adj)
    label = np.full(n, -1, dtype=np.int64)
    want = round(_LAD_TARGETS[0] * n)
    d2 = ((xy - centres[0]) ** 2).sum(axis=1)
    heap = [(float(d2[town_nodes[0]]), town_nodes[0])]
    rural_seeds = set(town_nodes[1:])
    taken = 0
    while heap and taken < want:
        _, v = heapq.heappop(heap)
        if label[v] != -1 or v in rural_seeds:
            continue
        label[v] = 0
        taken += 1
        for u in adj[v]:
            if label[u] == -1:
                heapq.heappush(heap, (float(d2[u]), u))
    for comp in _components(np.flatnonzero(label == -1).tolist(), adj):
        if not rural_seeds.intersection(comp):
            label[comp] = 0  # enclaves inside the county town's district
    return _grow_regions(adj, xy, town_nodes[1:], centres[1:], _LAD_TARGETS[1:], label, 1)


def _grow_regions(
    adj: list[list[int]],
    xy: np.ndarray,
    seeds: Sequence[int],
    centres: np.ndarray,
    targets: Sequence[float],
    label: np.ndarray,
    first_label: int,
) -> np.ndarray:
    """Label the unlabelled nodes by growing regions from ``seeds`` in step with their targets.

    Region ``r`` gets label ``first_label + r``; nodes already labelled are left alone.
    """
    label = label.copy()
    size = np.zeros(len(seeds))
    share = np.asarray(targets, dtype=float)
    heaps: list[list[tuple[float, int]]] = [[] for _ in seeds]

    def push(r: int, u: int) -> None:
        cx, cy = centres[r]
        for v in adj[u]:
            if label[v] == -1:
                d = float((xy[v, 0] - cx) ** 2 + (xy[v, 1] - cy) ** 2)
                heapq.heappush(heaps[r], (d, v))

    for r, s in enumerate(seeds):
        label[s] = first_label + r
        size[r] = 1
    for r, s in enumerate(seeds):
        push(r, s)
    remaining = int((label == -1).sum())
    while remaining:
        chosen = -1
        for r in np.argsort(size / share, kind="stable").tolist():
            h = heaps[r]
            while h and label[h[0][1]] != -1:
                heapq.heappop(h)
            if h:
                chosen = r
                break
        if chosen < 0:
            raise RuntimeError("OA graph is not connected")
        _, v = heapq.heappop(heaps[chosen])
        label[v] = first_label + chosen
        size[chosen] += 1
        remaining -= 1
        push(chosen, v)
    return label


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return np.array([0.5 * (1.0 + math.erf(float(v) / math.sqrt(2.0))) for v in z])


def _months(start: int, end: int) -> int:
    """Number of months from yyyymm ``start`` to ``end`` inclusive."""
    return (end // 100 - start // 100) * 12 + (end % 100 - start % 100) + 1


def _add_months(start: int, k: np.ndarray) -> np.ndarray:
    m = (start // 100) * 12 + (start % 100 - 1) + k
    return (m // 12) * 100 + m % 12 + 1


# ---------------------------------------------------------------------------------------------
# Layout: county shape, settlements, OA seeds and cells


class _NameMaker:
    """Invented English place names ("Sandford", "Elmley"), never the same twice."""

    def __init__(self, rng: np.random.Generator, taken: set[str]) -> None:
        combos = [h + t for h in _VILLAGE_HEADS for t in _VILLAGE_TAILS]
        self._queue = deque(combos[i] for i in rng.permutation(len(combos)).tolist())
        self._taken = taken

    def new(self) -> str | None:
        """A fresh name, or None once every combination is used."""
        while self._queue:
            name = self._queue.popleft()
            if name.lower() not in self._taken:
                self._taken.add(name.lower())
                return name
        return None


@dataclass(frozen=True)
class _Layout:
    harmonics: np.ndarray
    names: list[str]  # settlement names: 4 towns then villages
    centres: np.ndarray  # (n_settlements, 2) metres
    sigmas: np.ndarray
    shares: np.ndarray  # OA share per settlement, then one for dispersed seeds
    scale: float
    names_made: _NameMaker  # makes further place names unlike any settlement's


def _layout(n_oa: int, rng: np.random.Generator) -> _Layout:
    harmonics = np.array(
        [
            [2.0, rng.uniform(0.06, 0.11), rng.uniform(0, 2 * np.pi)],
            [3.0, rng.uniform(0.04, 0.07), rng.uniform(0, 2 * np.pi)],
            [5.0, rng.uniform(0.02, 0.04), rng.uniform(0, 2 * np.pi)],
        ]
    )
    scale = float(np.clip(math.sqrt(n_oa / 3125.0), 0.5, 2.5))
    theta0 = rng.uniform(0, 2 * np.pi)
    towns = [rng.uniform(-2000, 2000, size=2)]
    for k in range(3):
        th = theta0 + k * 2 * np.pi / 3 + rng.uniform(-0.25, 0.25)
        rad = 0.55 * float(_blob_radius(np.array([th]), harmonics)[0])
        towns.append(np.array([rad * math.cos(th), rad * math.sin(th)]))
    centres = list(towns)
    names: list[str] = list(LAD_NAMES)
    n_villages = int(np.clip(round(n_oa / _OAS_PER_VILLAGE), _MIN_VILLAGES, _MAX_VILLAGES))
    maker = _NameMaker(rng, {n.lower() for n in names})
    tries = 0
    while len(centres) < 4 + n_villages:
        tries += 1
        if tries > 50_000:
            raise RuntimeError("could not place villages")
        th = rng.uniform(0, 2 * np.pi)
        rad = float(_blob_radius(np.array([th]), harmonics)[0]) * math.sqrt(rng.uniform(0.04, 0.8))
        p = np.array([rad * math.cos(th), rad * math.sin(th)])
        d = np.sqrt(((np.asarray(centres) - p) ** 2).sum(axis=1))
        if d[:4].min() < 5500 or d.min() < 2800:
            continue
        name = maker.new()
        if name is None:
            raise RuntimeError("ran out of village names")
        names.append(name)
        centres.append(p)
    village_w = rng.gamma(2.0, size=n_villages)
    shares = np.concatenate(
        [
            np.asarray(_TOWN_SHARES),
            _VILLAGE_SHARE * village_w / village_w.sum(),
            [1.0 - sum(_TOWN_SHARES) - _VILLAGE_SHARE],
        ]
    )
    sigmas = np.concatenate(
        [np.asarray(_TOWN_SIGMA_M) * scale, np.full(n_villages, _VILLAGE_SIGMA_M * scale**0.5)]
    )
    return _Layout(harmonics, names, np.asarray(centres), sigmas, shares, scale, maker)


def _inside(x: np.ndarray, y: np.ndarray, harmonics: np.ndarray, margin: float) -> np.ndarray:
    rho = np.hypot(x, y)
    return rho < margin * _blob_radius(np.arctan2(y, x), harmonics)


def _draw_seeds(n_oa: int, lay: _Layout, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """OA seed points (metres) and the settlement each came from (-1 = dispersed)."""
    counts = rng.multinomial(n_oa, lay.shares)
    cell = _MIN_SEED_GAP_M
    grid: dict[tuple[int, int], list[int]] = {}
    pts: list[tuple[float, float]] = []
    comp: list[int] = []
    n_settle = len(lay.names)
    for c, need in enumerate(counts.tolist()):
        got = 0
        rounds = 0
        while got < need:
            rounds += 1
            if rounds > 500:
                raise RuntimeError("could not place OA seeds")
            m = max(16, 2 * (need - got))
            if c < n_settle:
                x = lay.centres[c, 0] + lay.sigmas[c] * rng.standard_normal(m)
                y = lay.centres[c, 1] + lay.sigmas[c] * rng.standard_normal(m)
            else:
                x = rng.uniform(-1.3 * _R_M, 1.3 * _R_M, m)
                y = rng.uniform(-1.3 * _R_M, 1.3 * _R_M, m)
            ok = _inside(x, y, lay.harmonics, 0.95)
            for xi, yi in zip(x[ok].tolist(), y[ok].tolist(), strict=True):
                if got == need:
                    break
                gx, gy = math.floor(xi / cell), math.floor(yi / cell)
                close = False
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        for j in grid.get((gx + dx, gy + dy), ()):
                            px, py = pts[j]
                            if (px - xi) ** 2 + (py - yi) ** 2 < cell * cell:
                                close = True
                if close:
                    continue
                grid.setdefault((gx, gy), []).append(len(pts))
                pts.append((xi, yi))
                comp.append(c if c < n_settle else -1)
                got += 1
    return np.asarray(pts, dtype=float), np.asarray(comp, dtype=np.int64)


def _voronoi_cells(seeds: np.ndarray, harmonics: np.ndarray) -> np.ndarray:
    """Voronoi cells (metres) of ``seeds``, bounded by mirror seeds outside the county edge."""
    x, y = seeds[:, 0], seeds[:, 1]
    theta = np.arctan2(y, x)
    rho = np.hypot(x, y)
    mirror = 2 * _blob_radius(theta, harmonics) - rho
    ang = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    frame = np.column_stack([3.5 * _R_M * np.cos(ang), 3.5 * _R_M * np.sin(ang)])
    allpts = np.vstack(
        [seeds, np.column_stack([mirror * np.cos(theta), mirror * np.sin(theta)]), frame]
    )
    extent = shapely.box(-6 * _R_M, -6 * _R_M, 6 * _R_M, 6 * _R_M)
    diagram = shapely.voronoi_polygons(shapely.multipoints(allpts), extend_to=extent, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(allpts):
        raise RuntimeError("Voronoi diagram lost points")
    return cells[: len(seeds)]


def _oa_geometry(
    n_oa: int, lay: _Layout, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[list[int]]]:
    """Seeds, settlement of each seed, cells in metres, cells in lon/lat, OA adjacency.

    Rounding to 6 decimals can fold a cell with a centimetre-short Voronoi edge (or, in
    principle, make neighbours overlap). Such a cell's seed is dropped and the diagram redrawn;
    so is any cell cut off from the rest. This is rare (about one cell in 30,000).
    """
    seeds, comp = _draw_seeds(n_oa, lay, rng)
    for _ in range(50):
        cells_m = _voronoi_cells(seeds, lay.harmonics)
        cells = shapely.remove_repeated_points(
            shapely.transform(cells_m, _lonlat_of_local), tolerance=0.0
        )
        bad = ~shapely.is_valid(cells)
        if not bad.any():
            bad = ~shapely.is_empty(shapely.coverage_invalid_edges(cells))
        if bad.any():
            seeds, comp = seeds[~bad], comp[~bad]
            continue
        adj = _pairs_to_adjacency(_edge_adjacency(cells), len(cells))
        comps = _components(range(len(cells)), adj)
        if len(comps) == 1:
            return seeds, comp, cells_m, cells, adj
        keep = np.asarray(max(comps, key=len))
        seeds, comp = seeds[keep], comp[keep]
    raise RuntimeError("could not make a valid OA tiling")


def _lonlat_of_local(xy: np.ndarray) -> np.ndarray:
    return _to_lonlat(xy)


# ---------------------------------------------------------------------------------------------
# Building


def build_geography(n_people: int, rng: np.random.Generator) -> SyntheticGeography:
    """Build Partnershire for about ``n_people`` residents (8 LSOAs at the least).

    Deterministic: the same ``rng`` state gives identical frames and boundaries.
    """
    if not 1 <= n_people <= MAX_PEOPLE:
        raise ValueError(f"n_people must be in 1..{MAX_PEOPLE:,}, got {n_people}")
    n_lsoa_target = max(_MIN_LSOAS, round(n_people / PEOPLE_PER_LSOA))
    n_oa = _OAS_PER_LSOA * n_lsoa_target
    lay = _layout(n_oa, rng)
    seeds, comp, cells_m, cells, adj = _oa_geometry(n_oa, lay, rng)
    n_oa = len(seeds)

    # Households per OA.
    w = rng.uniform(0.82, 1.18, n_oa)
    hh = np.maximum(1, np.round(n_people / _PEOPLE_PER_HOUSEHOLD * w / w.sum())).astype(np.int64)

    # Districts grow from their towns.
    town_nodes: list[int] = []
    for t in range(4):
        d = ((seeds - lay.centres[t]) ** 2).sum(axis=1)
        for cand in np.argsort(d, kind="stable").tolist():
            if cand not in town_nodes:
                town_nodes.append(cand)
                break
    oa_lad = _districts(adj, seeds, town_nodes, lay.centres[:4])

    # Settlement (locality) of each OA: its own settlement if that lies in the same district,
    # else the nearest settlement in the district.
    settle_lad = oa_lad[
        np.argmin(((lay.centres[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2), axis=1)
    ]
    for t in range(4):
        settle_lad[t] = t
    dist2 = ((seeds[:, None, :] - lay.centres[None, :, :]) ** 2).sum(axis=2)
    dist2 = np.where(settle_lad[None, :] == oa_lad[:, None], dist2, np.inf)
    oa_settle = np.where(
        (comp >= 0) & (settle_lad[np.maximum(comp, 0)] == oa_lad), comp, np.argmin(dist2, axis=1)
    )

    ones = np.ones(n_oa)
    # LSOAs from OAs, MSOAs from LSOAs, within each district.
    lsoa_members: list[list[int]] = []
    for lad in range(4):
        lsoa_members += _peel(np.flatnonzero(oa_lad == lad).tolist(), adj, seeds, ones, 5.0)
    n_lsoa = len(lsoa_members)
    oa_lsoa = np.empty(n_oa, dtype=np.int64)
    for i, members in enumerate(lsoa_members):
        oa_lsoa[members] = i
    lsoa_lad = oa_lad[[m[0] for m in lsoa_members]]
    lsoa_xy = np.array([np.average(seeds[m], axis=0, weights=hh[m]) for m in lsoa_members])
    lsoa_w = np.array([len(m) for m in lsoa_members], dtype=float)
    pairs = _edge_adjacency(cells)
    lpairs = oa_lsoa[pairs]
    lsoa_adj = _pairs_to_adjacency(lpairs[lpairs[:, 0] != lpairs[:, 1]], n_lsoa)

    msoa_members: list[list[int]] = []
    ward_members: list[list[int]] = []
    for lad in range(4):
        idx = np.flatnonzero(lsoa_lad == lad).tolist()
        msoa_members += _peel(idx, lsoa_adj, lsoa_xy, lsoa_w, 25.0)
        # Wards of about three LSOAs' worth of OAs (smaller in a tiny county: >= 4 per district).
        ward_unit = float(np.clip(lsoa_w[idx].sum() / 4, 5.0, 15.0))
        ward_members += _peel(idx, lsoa_adj, lsoa_xy, lsoa_w, ward_unit)
    lsoa_msoa = np.empty(n_lsoa, dtype=np.int64)
    for i, members in enumerate(msoa_members):
        lsoa_msoa[members] = i
    lsoa_ward0 = np.empty(n_lsoa, dtype=np.int64)
    for i, members in enumerate(ward_members):
        lsoa_ward0[members] = i
    ward_lad = np.array([lsoa_lad[m[0]] for m in ward_members], dtype=np.int64)
    oa_ward = _split_lsoas_across_wards(
        lsoa_ward0[oa_lsoa], oa_lsoa, lsoa_members, hh, adj, ward_lad, rng
    )
    lsoa_ward = _best_fit(oa_lsoa, oa_ward, hh, n_lsoa)

    # Names, numbers and codes.
    msoa_lad = lsoa_lad[[m[0] for m in msoa_members]]
    msoa_xy = np.array([lsoa_xy[m].mean(axis=0) for m in msoa_members])
    msoa_order = np.lexsort((msoa_xy[:, 0], -msoa_xy[:, 1], msoa_lad))
    msoa_rank = np.empty(len(msoa_members), dtype=np.int64)
    msoa_rank[msoa_order] = np.arange(len(msoa_members))
    msoa_number = np.empty(len(msoa_members), dtype=np.int64)
    for lad in range(4):
        sel = msoa_order[msoa_lad[msoa_order] == lad]
        msoa_number[sel] = np.arange(1, len(sel) + 1)
    msoa_name = [f"{LAD_NAMES[msoa_lad[i]]} {msoa_number[i]:03d}" for i in range(len(msoa_lad))]

    lsoa_order = np.lexsort((lsoa_xy[:, 0], -lsoa_xy[:, 1], msoa_rank[lsoa_msoa]))
    lsoa_rank = np.empty(n_lsoa, dtype=np.int64)
    lsoa_rank[lsoa_order] = np.arange(n_lsoa)
    lsoa_letter = np.empty(n_lsoa, dtype=np.int64)
    for m in range(len(msoa_members)):
        sel = lsoa_order[lsoa_msoa[lsoa_order] == m]
        lsoa_letter[sel] = np.arange(len(sel))
    if int(lsoa_letter.max()) >= 26:
        raise RuntimeError("an MSOA has more than 26 LSOAs")
    lsoa_name = [
        f"{msoa_name[lsoa_msoa[i]]}{chr(ord('A') + int(lsoa_letter[i]))}" for i in range(n_lsoa)
    ]
    oa_order = np.lexsort((seeds[:, 0], -seeds[:, 1], lsoa_rank[oa_lsoa]))

    ward_name = _ward_names(ward_members, oa_ward, oa_settle, hh, seeds, lay, rng)
    ward_order = np.array(
        sorted(range(len(ward_members)), key=lambda i: (int(ward_lad[i]), ward_name[i])),
        dtype=np.int64,
    )

    lad_code = [synthetic_code(LAD, i + 1) for i in range(4)]
    pcon_code = [synthetic_code(PCON, i + 1) for i in range(4)]
    msoa_code = _codes_in_order(MSOA, msoa_order)
    lsoa_code = _codes_in_order(LSOA, lsoa_order)
    oa_code = _codes_in_order(OA, oa_order)
    ward_code = _codes_in_order(WARD, ward_order)

    # Deprivation and rural-urban class.
    imd_score = _imd_scores(lsoa_xy, lay, rng)
    imd_rank = _national_ranks(imd_score)
    imd_decile = (imd_rank * 10 + IMD_N_LSOAS - 1) // IMD_N_LSOAS
    oa_ruc = _oa_ruc(comp, seeds, lay)
    lsoa_ruc = _majority_class(oa_ruc, oa_lsoa, hh, n_lsoa)

    # Postcodes.
    pc = _postcodes(seeds, cells_m, cells, comp, hh, oa_order, oa_lsoa, lsoa_msoa, oa_lad, rng)
    pc_oa = pc["oa"]
    localities = np.asarray(lay.names, dtype=object)[oa_settle[pc_oa]]
    outward = np.asarray([c.split(" ")[0] for c in pc["pcds"].tolist()], dtype=object)
    streets = _street_names(localities, oa_lad[pc_oa], outward, rng)

    # Frames (rows in code order).
    county = pd.DataFrame(
        {
            "county_code": [_COUNTY_CODE],
            "county_name": [COUNTY_NAME],
            "rgn_code": [_REGION_CODE],
            "ctry_code": [ENGLAND],
        }
    )
    lads = pd.DataFrame(
        {
            "lad_code": lad_code,
            "lad_name": list(LAD_NAMES),
            "county_code": _COUNTY_CODE,
            "pcon_code": pcon_code,
        }
    )
    wards = pd.DataFrame(
        {
            "ward_code": _objects(ward_code)[ward_order],
            "ward_name": _objects(ward_name)[ward_order],
            "lad_code": _objects(lad_code)[ward_lad[ward_order]],
        }
    )
    msoas = pd.DataFrame(
        {
            "msoa_code": _objects(msoa_code)[msoa_order],
            "msoa_name": _objects(msoa_name)[msoa_order],
            "lad_code": _objects(lad_code)[msoa_lad[msoa_order]],
        }
    )
    lo = lsoa_order
    lsoas = pd.DataFrame(
        {
            "lsoa_code": _objects(lsoa_code)[lo],
            "lsoa_name": _objects(lsoa_name)[lo],
            "msoa_code": _objects(msoa_code)[lsoa_msoa[lo]],
            "lad_code": _objects(lad_code)[lsoa_lad[lo]],
            "ward_code": _objects(ward_code)[lsoa_ward[lo]],
            "imd_score": imd_score[lo],
            "imd_rank": imd_rank[lo].astype(np.int64),
            "imd_decile": imd_decile[lo].astype(np.int64),
            "urban": np.char.startswith(lsoa_ruc[lo].astype(str), "U"),
            "ruc21ind": lsoa_ruc[lo].astype(object),
        }
    )
    oo = oa_order
    oas = pd.DataFrame(
        {
            "oa_code": _objects(oa_code)[oo],
            "lsoa_code": _objects(lsoa_code)[oa_lsoa[oo]],
            "msoa_code": _objects(msoa_code)[lsoa_msoa[oa_lsoa[oo]]],
            "ward_code": _objects(ward_code)[oa_ward[oo]],
            "lad_code": _objects(lad_code)[oa_lad[oo]],
            "target_households": hh[oo],
        }
    )
    pc_lsoa = oa_lsoa[pc_oa]
    postcodes = pd.DataFrame(
        {
            "pcds": pc["pcds"],
            "oa_code": _objects(oa_code)[pc_oa],
            "lsoa_code": _objects(lsoa_code)[pc_lsoa],
            "msoa_code": _objects(msoa_code)[lsoa_msoa[pc_lsoa]],
            "ward_code": _objects(ward_code)[oa_ward[pc_oa]],
            "lad_code": _objects(lad_code)[oa_lad[pc_oa]],
            "county_code": _COUNTY_CODE,
            "dointr": pc["dointr"],
            "doterm": pd.array(pc["doterm"], dtype="Int64"),
            "lat": pc["lat"],
            "long": pc["long"],
            "oseast1m": pc["east"],
            "osnrth1m": pc["north"],
            "street": streets,
            "locality": localities,
            "n_addresses": pc["n_addresses"],
        }
    )

    boundaries = _boundaries(
        cells[oa_order],
        oas=oas,
        lsoas=lsoas,
        msoas=msoas,
        wards=wards,
        lads=lads,
        county=county,
    )
    return SyntheticGeography(
        county=county,
        lads=lads,
        wards=wards,
        msoas=msoas,
        lsoas=lsoas,
        oas=oas,
        postcodes=postcodes,
        boundaries=boundaries,
    )


def _objects(values: Sequence[str]) -> np.ndarray:
    return np.asarray(values, dtype=object)


def _codes_in_order(prefix: str, order: np.ndarray) -> list[str]:
    """Code of each item (by item index) when items are numbered in ``order``."""
    codes = [""] * len(order)
    for k, i in enumerate(order.tolist()):
        codes[i] = synthetic_code(prefix, k + 1)
    return codes


def _split_lsoas_across_wards(
    oa_ward: np.ndarray,
    oa_lsoa: np.ndarray,
    lsoa_members: list[list[int]],
    hh: np.ndarray,
    adj: list[list[int]],
    ward_lad: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Move one boundary OA of about a quarter of LSOAs into the neighbouring ward.

    A move is made only if the LSOA keeps a strict majority of its OAs and of its households in
    its own ward and the ward it leaves stays contiguous, so the best-fit ward is unchanged.
    """
    oa_ward = oa_ward.copy()
    n_lsoa = len(lsoa_members)
    target = max(1, round(0.25 * n_lsoa))
    ward_oas: dict[int, set[int]] = {}
    for o, wd in enumerate(oa_ward.tolist()):
        ward_oas.setdefault(wd, set()).add(o)
    done = 0
    for lsoa in rng.permutation(n_lsoa).tolist():
        if done >= target:
            break
        members = lsoa_members[lsoa]
        home = int(oa_ward[members[0]])
        total_hh = int(hh[members].sum())
        options: list[tuple[int, int]] = []
        for o in members:
            for v in adj[o]:
                wd = int(oa_ward[v])
                if wd != home and ward_lad[wd] == ward_lad[home] and oa_lsoa[v] != lsoa:
                    options.append((o, wd))
        options = sorted(set(options))
        if not options:
            continue
        for k in rng.permutation(len(options)).tolist():
            o, wd = options[k]
            stay = [m for m in members if m != o and oa_ward[m] == home]
            if 2 * len(stay) <= len(members) or 2 * int(hh[stay].sum()) <= total_hh:
                continue
            left = sorted(ward_oas[home] - {o})
            if not left or len(_components(left, adj)) != 1:
                continue
            oa_ward[o] = wd
            ward_oas[home].discard(o)
            ward_oas[wd].add(o)
            done += 1
            break
    return oa_ward


def _best_fit(oa_lsoa: np.ndarray, oa_ward: np.ndarray, hh: np.ndarray, n_lsoa: int) -> np.ndarray:
    """Ward holding most of each LSOA's households (ties: the lower ward index)."""
    frame = pd.DataFrame({"lsoa": oa_lsoa, "ward": oa_ward, "hh": hh})
    sums = frame.groupby(["lsoa", "ward"], sort=True)["hh"].sum().reset_index()
    sums = sums.sort_values(["lsoa", "hh", "ward"], ascending=[True, False, True], kind="stable")
    best = sums.drop_duplicates("lsoa", keep="first").set_index("lsoa")["ward"]
    return best.reindex(range(n_lsoa)).to_numpy(dtype=np.int64)


_COMPASS = (
    "East",
    "North East",
    "North",
    "North West",
    "West",
    "South West",
    "South",
    "South East",
)


def _ward_names(
    ward_members: list[list[int]],
    oa_ward: np.ndarray,
    oa_settle: np.ndarray,
    hh: np.ndarray,
    seeds: np.ndarray,
    lay: _Layout,
    rng: np.random.Generator,
) -> list[str]:
    """Unique ward names from the places they cover.

    A ward is named after the town or village holding most of its households. A town's central
    ward is "<Town> Central" and its other wards take neighbourhood names ("Abbey", "Priory",
    ...) and then invented suburb names; a village's wards are "<Village>", "<Village> and
    <Other>", "<Village> North", ... and then invented parish names.
    """
    n_ward = len(ward_members)
    frame = pd.DataFrame({"ward": oa_ward, "settle": oa_settle, "hh": hh})
    by = frame.groupby(["ward", "settle"], sort=True)["hh"].sum().reset_index()
    by = by.sort_values(["ward", "hh", "settle"], ascending=[True, False, True], kind="stable")
    base = by.drop_duplicates("ward").set_index("ward")["settle"].reindex(range(n_ward))
    base_arr = base.to_numpy(dtype=np.int64)
    totals = by.groupby("ward")["hh"].sum()
    second: dict[int, int] = {}
    for wd, grp in by.groupby("ward", sort=True):
        if len(grp) > 1 and grp["hh"].iloc[1] >= 0.3 * totals[wd]:
            second[int(wd)] = int(grp["settle"].iloc[1])
    ward_xy = np.array(
        [
            np.average(seeds[oa_ward == wd], axis=0, weights=hh[oa_ward == wd])
            for wd in range(n_ward)
        ]
    )
    pool = deque(_WARD_NAMES[i] for i in rng.permutation(len(_WARD_NAMES)).tolist())
    used: set[str] = set()
    names = [""] * n_ward

    def take(cands: list[str], place: str) -> str:
        for c in cands:
            if c not in used:
                used.add(c)
                return c
        made = lay.names_made.new()
        if made is not None and made not in used:
            used.add(made)
            return made
        for k in itertools.count(1):  # only for counties of several million people
            c = f"{place} {_WARD_NAMES[(k - 1) % len(_WARD_NAMES)]}"
            c = c if k <= len(_WARD_NAMES) else f"{c} {(k - 1) // len(_WARD_NAMES) + 1}"
            if c not in used:
                used.add(c)
                return c
        raise AssertionError("unreachable")

    for s in sorted(set(base_arr.tolist())):
        place = lay.names[s]
        wards_s = np.flatnonzero(base_arr == s)
        d = ((ward_xy[wards_s] - lay.centres[s]) ** 2).sum(axis=1)
        wards_s = wards_s[np.argsort(d, kind="stable")].tolist()
        for j, wd in enumerate(wards_s):
            dx, dy = ward_xy[wd] - lay.centres[s]
            compass = _COMPASS[round(math.atan2(dy, dx) / (math.pi / 4)) % 8]
            cands: list[str] = []
            if wd in second:
                cands.append(f"{place} and {lay.names[second[wd]]}")
            if j == 0:
                central = len(wards_s) > 1 and s < 4
                cands.insert(0, f"{place} Central" if central else place)
                cands.append(place)
            elif s < 4:  # town
                while pool and pool[0] in used:
                    pool.popleft()
                if pool:
                    cands.insert(0, pool.popleft())
            else:
                cands.append(f"{place} {compass}")
            names[wd] = take(cands, place)
    return names


def _imd_scores(lsoa_xy: np.ndarray, lay: _Layout, rng: np.random.Generator) -> np.ndarray:
    """IMD-like scores: smooth field peaking in the county town and the industrial town."""
    n_waves = 6
    lengths = rng.uniform(9_000, 30_000, n_waves)
    angles = rng.uniform(0, 2 * np.pi, n_waves)
    phases = rng.uniform(0, 2 * np.pi, n_waves)
    kx = 2 * np.pi / lengths * np.cos(angles)
    ky = 2 * np.pi / lengths * np.sin(angles)
    field = np.cos(np.outer(lsoa_xy[:, 0], kx) + np.outer(lsoa_xy[:, 1], ky) + phases).sum(axis=1)
    field = field / math.sqrt(n_waves / 2)
    # An affluent commuter belt between the county town and one market town.
    belt = 0.5 * (lay.centres[0] + lay.centres[2 + int(rng.integers(2))])
    s = lay.scale

    def bump(centre: np.ndarray, sigma: float) -> np.ndarray:
        d2 = ((lsoa_xy - centre) ** 2).sum(axis=1)
        return np.exp(-d2 / (2 * sigma * sigma))

    town = bump(lay.centres[0], 3500.0 * s)
    industrial = bump(lay.centres[1], 2500.0 * s)
    log_score = (
        math.log(10.5)
        + 1.35 * town
        + 1.45 * industrial
        - 0.45 * bump(belt, 6000.0)
        + 0.22 * field
        + 0.22 * rng.standard_normal(len(lsoa_xy))
    )
    # However the noise falls, the heart of the old industrial town is in the national most
    # deprived decile (score 45 ~ rank 2,300): lift the area around it just enough.
    core = int(np.argmax(industrial))
    deficit = math.log(45.0) - float(log_score[core])
    if deficit > 0:
        log_score = log_score + deficit * industrial / industrial[core]
    return np.round(np.clip(np.exp(log_score), 0.5, 95.0), 3)


def _national_ranks(score: np.ndarray) -> np.ndarray:
    """National-style IMD rank (1 = most deprived) from a lognormal national score curve."""
    z = (np.log(score) - math.log(_IMD_NATIONAL_MEDIAN)) / _IMD_NATIONAL_SIGMA
    rank = np.floor(IMD_N_LSOAS * (1.0 - _normal_cdf(z))).astype(np.int64) + 1
    rank = np.clip(rank, 1, IMD_N_LSOAS)
    order = np.argsort(-score, kind="stable")
    ranks = rank[order]
    steps = np.arange(len(ranks))
    ranks = np.maximum.accumulate(ranks - steps) + steps  # strictly increasing: unique ranks
    over = ranks[-1] - IMD_N_LSOAS if len(ranks) else 0
    if over > 0:
        ranks = ranks - over
    out = np.empty_like(rank)
    out[order] = ranks
    return out


def _oa_ruc(comp: np.ndarray, seeds: np.ndarray, lay: _Layout) -> np.ndarray:
    """2021 RUC-style class of each OA: settlement form (U/RL/RS) and access (N/F)."""
    form = np.where(comp < 0, "RS", np.where(comp < 4, "U", "RL"))
    near_town = ((seeds - lay.centres[0]) ** 2).sum(axis=1) < (18_000.0 * max(lay.scale, 1)) ** 2
    near_ind = ((seeds - lay.centres[1]) ** 2).sum(axis=1) < (10_000.0 * max(lay.scale, 1)) ** 2
    access = np.where(near_town | near_ind, "N1", "F1")
    return np.char.add(form.astype(str), access.astype(str))


def _majority_class(
    oa_class: np.ndarray, oa_group: np.ndarray, hh: np.ndarray, n: int
) -> np.ndarray:
    rank = {c: i for i, c in enumerate(_RUC_ORDER)}
    frame = pd.DataFrame(
        {"g": oa_group, "c": oa_class, "r": [rank[c] for c in oa_class.tolist()], "hh": hh}
    )
    sums = frame.groupby(["g", "r"], sort=True)["hh"].sum().reset_index()
    sums = sums.sort_values(["g", "hh", "r"], ascending=[True, False, True], kind="stable")
    best = sums.drop_duplicates("g").set_index("g")["r"].reindex(range(n)).to_numpy()
    return np.asarray(_RUC_ORDER, dtype=object)[best]


# ---------------------------------------------------------------------------------------------
# Postcodes


def _sample_in_cells(
    cells_m: np.ndarray, seeds: np.ndarray, oa: np.ndarray, shrink: float, rng: np.random.Generator
) -> np.ndarray:
    """One random point (metres) per entry of ``oa`` inside that OA's convex cell."""
    coords, idx = shapely.get_coordinates(cells_m, return_index=True)
    same = idx[:-1] == idx[1:]
    a, b, owner = coords[:-1][same], coords[1:][same], idx[:-1][same]
    s = seeds[owner]
    area = 0.5 * np.abs(
        (a[:, 0] - s[:, 0]) * (b[:, 1] - s[:, 1]) - (a[:, 1] - s[:, 1]) * (b[:, 0] - s[:, 0])
    )
    cum = np.cumsum(area)
    first = np.searchsorted(owner, np.arange(len(cells_m)), side="left")
    last = np.searchsorted(owner, np.arange(len(cells_m)), side="right") - 1
    before = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    cell_area = cum[last] - before
    u = rng.random(len(oa))
    t = np.searchsorted(cum, before[oa] + u * cell_area[oa], side="right")
    t = np.clip(t, first[oa], last[oa])
    r1, r2 = rng.random(len(oa)), rng.random(len(oa))
    flip = r1 + r2 > 1
    r1, r2 = np.where(flip, 1 - r1, r1), np.where(flip, 1 - r2, r2)
    sp = seeds[oa]
    p = sp + r1[:, None] * (a[t] - sp) + r2[:, None] * (b[t] - sp)
    return sp + shrink * (p - sp)


def _postcodes(
    seeds: np.ndarray,
    cells_m: np.ndarray,
    cells: np.ndarray,
    comp: np.ndarray,
    hh: np.ndarray,
    oa_order: np.ndarray,
    oa_lsoa: np.ndarray,
    lsoa_msoa: np.ndarray,
    oa_lad: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Unit postcodes of every OA, listed in OA code order and north to south within an OA.

    An OA's postcodes hold about 5% more addresses than its households (room for vacancies and
    newcomers); town postcodes hold 14-22 addresses on average, village and rural ones 10-16.
    """
    n_oa = len(seeds)
    cap = hh + np.ceil(0.05 * hh).astype(np.int64)
    in_town = (comp >= 0) & (comp < 4)
    avg = np.where(in_town, rng.uniform(14, 22, n_oa), rng.uniform(10, 16, n_oa))
    n_pc = np.clip(np.round(cap / avg), 1, cap).astype(np.int64)

    # Postcodes listed OA by OA in OA code order.
    pc_oa = np.repeat(oa_order, n_pc[oa_order])
    n_addr = np.empty(len(pc_oa), dtype=np.int64)
    gam = rng.gamma(3.0, size=len(pc_oa))
    start = 0
    for o in oa_order.tolist():
        k = int(n_pc[o])
        wts = gam[start : start + k]
        n_addr[start : start + k] = 1 + rng.multinomial(int(cap[o]) - k, wts / wts.sum())
        start += k

    # Points inside the OA; checked against the rounded lon/lat polygon.
    xy = _sample_in_cells(cells_m, seeds, pc_oa, 0.85, rng)
    lonlat = _to_lonlat(xy)
    shrink = 0.85
    for _ in range(6):
        bad = ~shapely.contains_xy(cells[pc_oa], lonlat[:, 0], lonlat[:, 1])
        if not bad.any():
            break
        shrink *= 0.5
        xy[bad] = _sample_in_cells(cells_m, seeds, pc_oa[bad], shrink, rng)
        lonlat[bad] = _to_lonlat(xy[bad])
    else:
        bad = ~shapely.contains_xy(cells[pc_oa], lonlat[:, 0], lonlat[:, 1])
        xy[bad] = seeds[pc_oa[bad]]
        lonlat[bad] = _to_lonlat(xy[bad])

    # Within an OA, walk the postcodes north to south (the order units are lettered in).
    order = np.lexsort((xy[:, 0], -xy[:, 1], np.repeat(np.arange(n_oa), n_pc[oa_order])))
    pc_oa, n_addr, xy, lonlat = pc_oa[order], n_addr[order], xy[order], lonlat[order]
    n_pc_total = len(pc_oa)

    # Sectors: one per MSOA (more if it would exceed the 400 possible units).
    pc_lsoa = oa_lsoa[pc_oa]
    pc_msoa = lsoa_msoa[pc_lsoa]
    sector_of = np.empty(n_pc_total, dtype=np.int64)
    sector_msoa: list[int] = []
    boundaries = [*np.flatnonzero(np.r_[True, pc_msoa[1:] != pc_msoa[:-1]]).tolist(), n_pc_total]
    for b0, b1 in itertools.pairwise(boundaries):
        count = 0
        sector = len(sector_msoa)
        sector_msoa.append(int(pc_msoa[b0]))
        starts = np.flatnonzero(np.r_[True, pc_lsoa[b0 + 1 : b1] != pc_lsoa[b0 : b1 - 1]])
        lsoa_bounds = [*(starts + b0).tolist(), b1]
        for l0, l1 in itertools.pairwise(lsoa_bounds):
            if count and count + (l1 - l0) > 390:
                sector = len(sector_msoa)
                sector_msoa.append(int(pc_msoa[b0]))
                count = 0
            sector_of[l0:l1] = sector
            count += l1 - l0

    # Postcode districts: up to three consecutive MSOAs (and at most nine sectors) of a district.
    sec_msoa = np.asarray(sector_msoa)
    _, sec_first = np.unique(sector_of, return_index=True)
    sec_lad = oa_lad[pc_oa[sec_first]]
    district_of_sector = np.empty(len(sec_msoa), dtype=np.int64)
    digit_of_sector = np.empty(len(sec_msoa), dtype=np.int64)
    district = -1
    members: list[int] = []
    msoas_in: list[int] = []

    def close_district() -> None:
        if not members:
            return
        digits = np.sort(rng.choice(np.arange(1, 10), size=len(members), replace=False))
        for s_, d_ in zip(members, digits.tolist(), strict=True):
            district_of_sector[s_] = district
            digit_of_sector[s_] = d_

    for s in range(len(sec_msoa)):
        new_msoa = not msoas_in or msoas_in[-1] != sec_msoa[s]
        full = len(members) >= 9 or (new_msoa and len(msoas_in) >= 3)
        if not members or sec_lad[s] != sec_lad[members[0]] or full:
            close_district()
            district += 1
            members, msoas_in = [], []
        members.append(s)
        if new_msoa:
            msoas_in.append(int(sec_msoa[s]))
    close_district()
    n_district = district + 1
    if n_district > 99 * len(POSTCODE_AREAS):
        raise RuntimeError("too many postcode districts")
    outward = [f"{POSTCODE_AREAS[d // 99]}{d % 99 + 1}" for d in range(n_district)]

    # Units: distinct letter pairs per sector, in walk order.
    pairs = np.array([a + b for a in _UNIT_LETTERS for b in _UNIT_LETTERS], dtype=object)
    unit = np.empty(n_pc_total, dtype=object)
    sec_bounds = np.flatnonzero(np.r_[True, sector_of[1:] != sector_of[:-1]]).tolist()
    sec_bounds.append(n_pc_total)
    for b0, b1 in itertools.pairwise(sec_bounds):
        chosen = np.sort(rng.choice(len(pairs), size=b1 - b0, replace=False))
        unit[b0:b1] = pairs[chosen]
    pcds = np.array(
        [
            f"{outward[district_of_sector[s]]} {digit_of_sector[s]}{u}"
            for s, u in zip(sector_of.tolist(), unit.tolist(), strict=True)
        ],
        dtype=object,
    )

    # Dates: most postcodes are old; about 2% terminated and 2% introduced in 2021-2025.
    window = _months(*_TIME_WINDOW)
    dointr = np.where(
        rng.random(n_pc_total) < 0.4,
        198001,
        _add_months(198002, rng.integers(0, _months(198002, 202012), n_pc_total)),
    ).astype(np.int64)
    doterm = np.full(n_pc_total, np.nan)
    n_changed = max(1, round(_CHANGED_SHARE * n_pc_total)) if n_pc_total >= 10 else 0
    perm = rng.permutation(n_pc_total)
    term, new = perm[:n_changed], perm[n_changed : 2 * n_changed]
    doterm[term] = _add_months(_TIME_WINDOW[0], rng.integers(0, window, len(term)))
    dointr[new] = _add_months(_TIME_WINDOW[0], rng.integers(0, window, len(new)))

    return {
        "oa": pc_oa,
        "pcds": pcds,
        "n_addresses": n_addr,
        "lat": lonlat[:, 1],
        "long": lonlat[:, 0],
        "east": np.round(_E0 + xy[:, 0]).astype(np.int64),
        "north": np.round(_N0 + xy[:, 1]).astype(np.int64),
        "dointr": dointr,
        "doterm": doterm,
    }


def _street_names(
    localities: np.ndarray, districts: np.ndarray, outward: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A street per postcode, unique within its district.

    Most are plain "<stem> <suffix>" names ("Mill Lane"); some are named after places
    ("Sandford Road") and a few qualified ("Upper Mill Lane"). A district with more postcodes
    than names (only with several million people) reuses names, but never within one locality
    and postcode district, so (street, locality, outward code) stays unique.
    """
    weight: dict[str, float] = {}
    for s in _STREET_STEMS:
        for x in _STREET_SUFFIXES:
            if s != x:
                weight.setdefault(f"{s} {x}", 1.0)
    base = list(weight)
    for h in _VILLAGE_HEADS:
        for t in _VILLAGE_TAILS:
            for x in _STREET_SUFFIXES[:8]:
                weight.setdefault(f"{h}{t} {x}", 0.05)
    for q in _STREET_QUALIFIERS:
        for b in base:
            weight.setdefault(f"{q} {b}", 0.01)
    names = np.asarray(list(weight), dtype=object)
    p = np.asarray(list(weight.values()))
    p = p / p.sum()
    out = np.empty(len(localities), dtype=object)
    for lad in np.unique(districts).tolist():
        in_lad = np.flatnonzero(districts == lad)
        if len(in_lad) <= len(names):
            out[in_lad] = names[rng.choice(len(names), size=len(in_lad), replace=False, p=p)]
            continue
        key = pd.Series(localities[in_lad] + "|" + outward[in_lad])
        for _, idx in sorted(key.groupby(key, sort=True).indices.items()):
            chosen = rng.choice(len(names), size=len(idx), replace=False, p=p)
            out[in_lad[np.sort(idx)]] = names[chosen]
    return out


# ---------------------------------------------------------------------------------------------
# Boundaries


def _geojson_geometry(geom: Any) -> dict[str, Any]:
    def rings(poly: Any) -> list[list[list[float]]]:
        return [np.asarray(r.coords).tolist() for r in (poly.exterior, *poly.interiors)]

    if geom.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": rings(geom)}
    if geom.geom_type == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [rings(p) for p in geom.geoms]}
    raise RuntimeError(f"unexpected geometry {geom.geom_type}")


def _collection(
    codes: Sequence[str], names: Sequence[str], geoms: np.ndarray, parents: dict[str, Sequence[Any]]
) -> dict[str, Any]:
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    features = []
    for i, (code, name) in enumerate(zip(codes, names, strict=True)):
        props: dict[str, Any] = {"code": code, "name": name}
        for key, values in parents.items():
            v = values[i]
            props[key] = v.item() if isinstance(v, np.generic) else v
        features.append(
            {"type": "Feature", "properties": props, "geometry": _geojson_geometry(geoms[i])}
        )
    return {"type": "FeatureCollection", "features": features}


def _unions(geoms: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    out = np.empty(n, dtype=object)
    for g in range(n):
        out[g] = shapely.union_all(geoms[order[bounds[g] : bounds[g + 1]]])
    return out


def _boundaries(
    oa_polys: np.ndarray,
    *,
    oas: pd.DataFrame,
    lsoas: pd.DataFrame,
    msoas: pd.DataFrame,
    wards: pd.DataFrame,
    lads: pd.DataFrame,
    county: pd.DataFrame,
) -> dict[str, dict[str, Any]]:
    """GeoJSON FeatureCollection per level; ``oa_polys`` are in the row order of ``oas``."""

    def index(codes: pd.Series, of: pd.Series) -> np.ndarray:
        return pd.Index(codes).get_indexer(of)

    lsoa_g = _unions(oa_polys, index(lsoas["lsoa_code"], oas["lsoa_code"]), len(lsoas))
    msoa_g = _unions(lsoa_g, index(msoas["msoa_code"], lsoas["msoa_code"]), len(msoas))
    ward_g = _unions(oa_polys, index(wards["ward_code"], oas["ward_code"]), len(wards))
    lad_g = _unions(msoa_g, index(lads["lad_code"], msoas["lad_code"]), len(lads))
    county_g = np.array([shapely.union_all(lad_g)], dtype=object)
    cty = county["county_code"].iloc[0]

    def col(frame: pd.DataFrame, name: str) -> list[Any]:
        return frame[name].tolist()

    oa_codes = col(oas, "oa_code")
    return {
        "oa": _collection(
            oa_codes,
            oa_codes,
            oa_polys,
            {
                "lsoa_code": col(oas, "lsoa_code"),
                "msoa_code": col(oas, "msoa_code"),
                "ward_code": col(oas, "ward_code"),
                "lad_code": col(oas, "lad_code"),
                "county_code": [cty] * len(oas),
            },
        ),
        "lsoa": _collection(
            col(lsoas, "lsoa_code"),
            col(lsoas, "lsoa_name"),
            lsoa_g,
            {
                "msoa_code": col(lsoas, "msoa_code"),
                "ward_code": col(lsoas, "ward_code"),
                "lad_code": col(lsoas, "lad_code"),
                "county_code": [cty] * len(lsoas),
                "imd_rank": col(lsoas, "imd_rank"),
                "imd_decile": col(lsoas, "imd_decile"),
            },
        ),
        "msoa": _collection(
            col(msoas, "msoa_code"),
            col(msoas, "msoa_name"),
            msoa_g,
            {"lad_code": col(msoas, "lad_code"), "county_code": [cty] * len(msoas)},
        ),
        "ward": _collection(
            col(wards, "ward_code"),
            col(wards, "ward_name"),
            ward_g,
            {"lad_code": col(wards, "lad_code"), "county_code": [cty] * len(wards)},
        ),
        "lad": _collection(
            col(lads, "lad_code"),
            col(lads, "lad_name"),
            lad_g,
            {"county_code": col(lads, "county_code")},
        ),
        "county": _collection(
            [cty],
            col(county, "county_name"),
            county_g,
            {"rgn_code": col(county, "rgn_code"), "ctry_code": col(county, "ctry_code")},
        ),
    }


def _pcd_forms(pcds: pd.Series) -> tuple[pd.Series, pd.Series]:
    parts = pcds.str.split(" ", n=1, expand=True)
    outward, inward = parts[0], parts[1]
    return outward.str.ljust(4) + inward, outward.str.ljust(5) + inward


def write_geography(geo: SyntheticGeography, out_dir: Path) -> None:
    """Write the lookup (NSPL layout), areas, streets and GeoJSON boundaries into ``out_dir``.

    Files: ``postcode_lookup.csv`` (exactly ``NSPL_COLUMNS``), ``areas.csv`` (one row per area
    of every level), ``streets.csv`` and ``boundaries/{level}.geojson``. The same geography
    always gives the same bytes.
    """
    out_dir = Path(out_dir)
    (out_dir / "boundaries").mkdir(parents=True, exist_ok=True)
    pc = geo.postcodes
    lsoa = geo.lsoas.set_index("lsoa_code")
    pcon = geo.lads.set_index("lad_code")["pcon_code"]
    county = geo.county.iloc[0]
    pcd, pcd2 = _pcd_forms(pc["pcds"])
    n = len(pc)
    lookup = pd.DataFrame(
        {
            "pcd": pcd,
            "pcd2": pcd2,
            "pcds": pc["pcds"],
            "dointr": pc["dointr"],
            "doterm": pc["doterm"],
            "usertype": np.zeros(n, dtype=np.int64),
            "oseast1m": pc["oseast1m"],
            "osnrth1m": pc["osnrth1m"],
            "osgrdind": np.ones(n, dtype=np.int64),
            "oa21cd": pc["oa_code"],
            "cty": pc["county_code"],
            "ced": "",
            "laua": pc["lad_code"],
            "ward": pc["ward_code"],
            "ctry": county["ctry_code"],
            "rgn": county["rgn_code"],
            "pcon": pc["lad_code"].map(pcon),
            "lsoa21cd": pc["lsoa_code"],
            "msoa21cd": pc["msoa_code"],
            "ruc21ind": pc["lsoa_code"].map(lsoa["ruc21ind"]),
            "lat": pc["lat"],
            "long": pc["long"],
            "imd": pc["lsoa_code"].map(lsoa["imd_rank"]).astype(np.int64),
        }
    )[list(NSPL_COLUMNS)]
    lookup.to_csv(
        out_dir / "postcode_lookup.csv", index=False, lineterminator="\n", float_format="%.6f"
    )
    _areas_frame(geo).to_csv(
        out_dir / "areas.csv", index=False, lineterminator="\n", float_format="%.3f"
    )
    pc[["pcds", "street", "locality", "n_addresses"]].to_csv(
        out_dir / "streets.csv", index=False, lineterminator="\n"
    )
    for level in AREA_LEVELS:
        text = json.dumps(geo.boundaries[level], separators=(",", ":"), sort_keys=True)
        (out_dir / "boundaries" / f"{level}.geojson").write_text(text + "\n", encoding="utf-8")


def _areas_frame(geo: SyntheticGeography) -> pd.DataFrame:
    """One row per area of every level, county first: level, code, name, parent, extras."""
    c = geo.county
    frames = [
        pd.DataFrame(
            {
                "level": "county",
                "code": c["county_code"],
                "name": c["county_name"],
                "parent_code": c["rgn_code"],
            }
        ),
        pd.DataFrame(
            {
                "level": "lad",
                "code": geo.lads["lad_code"],
                "name": geo.lads["lad_name"],
                "parent_code": geo.lads["county_code"],
                "lad_code": geo.lads["lad_code"],
            }
        ),
        pd.DataFrame(
            {
                "level": "ward",
                "code": geo.wards["ward_code"],
                "name": geo.wards["ward_name"],
                "parent_code": geo.wards["lad_code"],
                "lad_code": geo.wards["lad_code"],
            }
        ),
        pd.DataFrame(
            {
                "level": "msoa",
                "code": geo.msoas["msoa_code"],
                "name": geo.msoas["msoa_name"],
                "parent_code": geo.msoas["lad_code"],
                "lad_code": geo.msoas["lad_code"],
            }
        ),
        pd.DataFrame(
            {
                "level": "lsoa",
                "code": geo.lsoas["lsoa_code"],
                "name": geo.lsoas["lsoa_name"],
                "parent_code": geo.lsoas["msoa_code"],
                "lad_code": geo.lsoas["lad_code"],
                "ward_code": geo.lsoas["ward_code"],
                "imd_score": geo.lsoas["imd_score"],
                "imd_rank": geo.lsoas["imd_rank"],
                "imd_decile": geo.lsoas["imd_decile"],
                "ruc21ind": geo.lsoas["ruc21ind"],
            }
        ),
        pd.DataFrame(
            {
                "level": "oa",
                "code": geo.oas["oa_code"],
                "name": geo.oas["oa_code"],
                "parent_code": geo.oas["lsoa_code"],
                "lad_code": geo.oas["lad_code"],
                "ward_code": geo.oas["ward_code"],
            }
        ),
    ]
    out = pd.concat(frames, ignore_index=True)
    for col in ("imd_rank", "imd_decile"):
        out[col] = out[col].astype("Int64")
    return out[
        [
            "level",
            "code",
            "name",
            "parent_code",
            "lad_code",
            "ward_code",
            "imd_score",
            "imd_rank",
            "imd_decile",
            "ruc21ind",
        ]
    ]
