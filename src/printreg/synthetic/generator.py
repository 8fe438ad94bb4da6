"""Generate fictional facilities, printers and 3D Printing Registry cases, fast and reproducibly.

The mix follows the published first three years of the ACR-RSNA 3D Printing Registry: about 70%
anatomic models and 30% guides, cardiac the commonest model system (~27%), neurologic then
craniomaxillofacial and musculoskeletal the commonest guide systems, a mean effort of about 90
clinician and 335 non-clinician minutes per case, and mostly material jetting, vat
photopolymerisation and material extrusion prints. Records follow docs/record-shape.md; every
name, indication and identifier is invented, and free text carries no date, name or long digit run.
Weights are precomputed as cumulative tables so that a case costs a few dozen ``random`` calls.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from statistics import NormalDist
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _Weighted(Generic[T]):
    """Items with weights, drawn with one ``random()`` and a bisection."""

    __slots__ = ("_cum", "_items")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        kept = [(item, w) for item, w in pairs if w > 0]
        total = sum(w for _, w in kept)
        self._items = tuple(item for item, _ in kept)
        self._cum = [c / total for c in accumulate(w for _, w in kept)]
        self._cum[-1] = 1.0

    def pick(self, rng: random.Random) -> T:
        return self._items[bisect_right(self._cum, rng.random())]


# Standard normal quantiles at 4,096 even steps, and spreads precomputed from them: a draw is one
# ``random()`` and an index, several times faster than ``Random.gauss`` and smooth enough here.
_N = 4096
_Z = tuple(NormalDist().inv_cdf((k + 0.5) / _N) for k in range(_N))
_LOG05, _LOG06, _LOG07 = (tuple(math.exp(s * z - s * s / 2) for z in _Z) for s in (0.5, 0.6, 0.7))
_TURNAROUND = tuple(min(30, max(1, round(6.0 * math.exp(0.7 * z)))) for z in _Z)
_ADULT_AGE = tuple(max(18, min(95, int(55.0 + 16.0 * z))) for z in _Z)
_TIME_SAVED = tuple(round(35.0 + 45.0 * z) for z in _Z)
_FLUORO_SAVED = tuple(round(4.0 + 6.0 * z, 1) for z in _Z)


def _w(spec: str) -> _Weighted[str]:
    """Parse 'code:weight code:weight ...' into a weighted table."""
    return _Weighted([(c, float(w)) for c, w in (p.split(":") for p in spec.split())])


def _wi(*weights: float) -> _Weighted[int]:
    """Weighted integers 0, 1, 2, ... (index = value)."""
    return _Weighted(list(enumerate(weights)))


@dataclass(frozen=True)
class SynthFacility:
    """A fictional participating site."""

    code: str
    name: str
    facility_type: str
    location: str
    census_region: str
    lab_service_model: str
    annual_volume: int


@dataclass(frozen=True)
class SynthPrinter:
    """One printer of a facility's inventory."""

    facility_code: str
    label: str
    manufacturer: str
    model: str
    technology: str


# --- facilities and printers ------------------------------------------------------------------

_PLACES = (
    "Lakeside",
    "Riverbend",
    "Cedar Valley",
    "Maple Ridge",
    "Harbor Point",
    "Stonebridge",
    "Pinecrest",
    "Silver Lake",
    "Elmwood",
    "Fairhaven",
    "Westbrook",
    "Oak Hollow",
    "Granite Falls",
    "Willow Creek",
    "Bayview",
    "Ashford Vale",
    "Brightwater",
    "Copper Hill",
    "Eastgate",
    "Foxglen",
    "Glenmoor",
    "Ironwood",
    "Juniper Flats",
    "Kestrel Point",
    "Larkspur",
    "Meadowbrook",
    "Northfield",
    "Orchard Hill",
    "Prairie View",
    "Quarry Bend",
    "Redstone",
    "Sagebrush",
    "Thornbury",
    "Upland Plains",
    "Yarrow Creek",
    "Blue Mesa",
    "Coral Bay",
    "Driftwood",
)
_SUFFIXES = {
    "academic": ("University Hospital", "University Medical Center", "Academic Medical Center"),
    "community": ("Community Hospital", "Regional Medical Center", "General Hospital"),
    "childrens": ("Children's Hospital", "Children's Medical Center"),
    "freestanding": ("Surgical Center", "Orthopaedic and Spine Center", "Heart Institute"),
    "other": ("Veterans Medical Center", "Cancer Institute", "Specialty Hospital"),
}
_FACILITY_TYPE = _w("academic:35 community:35 childrens:12 freestanding:8 other:10")
_LOCATION = _w("metropolitan:55 suburban:30 rural:15")
_CENSUS = _w("northeast:22 midwest:22 south:34 west:22")
_LAB_MODEL = _w("radiology:50 surgery:20 engineering_core:20 other:10")
# (scale, Pareto alpha) of the annual case volume per facility type: a heavy tail.
_VOLUME = {
    "academic": (30, 1.5),
    "community": (6, 2.0),
    "childrens": (25, 1.6),
    "freestanding": (8, 2.0),
    "other": (6, 2.0),
}
_PRINTER_COUNT = _wi(0, 20, 25, 22, 15, 10, 8)
# (short label, manufacturer, model, technology, inventory weight)
_MAKES = _Weighted(
    [
        ((s, m, mo, t), float(w))
        for s, m, mo, t, w in (
            ("J850", "Stratasys", "J850 Digital Anatomy", "material_jetting", 12),
            ("J5", "Stratasys", "J5 DentaJet", "material_jetting", 6),
            ("Form3B", "Formlabs", "Form 3B", "vat_photopolymerization", 14),
            ("Form4B", "Formlabs", "Form 4B", "vat_photopolymerization", 12),
            ("S5", "Ultimaker", "S5", "material_extrusion", 12),
            ("MK4", "Prusa Research", "Original Prusa MK4", "material_extrusion", 12),
            ("MJF5200", "HP", "Jet Fusion 5200", "powder_bed_fusion", 4),
            ("Fuse1", "Formlabs", "Fuse 1+", "powder_bed_fusion", 2),
            ("PJ660", "3D Systems", "ProJet CJP 660Pro", "binder_jetting", 4),
            ("ARKe", "Mcor", "ARKe", "sheet_lamination", 1),
        )
    ]
)
# Preference of a print for a printer's technology, models then guides.
_TECH_PREF = {
    "anatomic_model": {
        "material_jetting": 1.6,
        "vat_photopolymerization": 1.0,
        "material_extrusion": 1.0,
        "powder_bed_fusion": 0.3,
        "binder_jetting": 0.6,
        "sheet_lamination": 0.4,
    },
    "anatomic_guide": {
        "material_jetting": 0.7,
        "vat_photopolymerization": 1.8,
        "material_extrusion": 0.6,
        "powder_bed_fusion": 1.0,
        "binder_jetting": 0.05,
        "sheet_lamination": 0.05,
    },
}
# Materials per technology as (name, optical), models then guides.
_MATERIALS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "anatomic_model": {
        "material_jetting": (
            ("VeroClear", "transparent"),
            ("VeroUltra White", "opaque"),
            ("Agilus30 Clear", "translucent"),
            ("TissueMatrix", "opaque"),
            ("VeroVivid colour", "opaque"),
        ),
        "vat_photopolymerization": (
            ("Clear Resin V4", "transparent"),
            ("White Resin V4", "opaque"),
            ("Elastic 50A Resin", "translucent"),
        ),
        "material_extrusion": (("PLA", "opaque"), ("PETG", "translucent"), ("TPU 95A", "opaque")),
        "powder_bed_fusion": (("PA12", "opaque"),),
        "binder_jetting": (("VisiJet PXL Core", "opaque"),),
        "sheet_lamination": (("Colour paper", "opaque"),),
    },
    "anatomic_guide": {
        "material_jetting": (("MED610", "transparent"), ("MED615RGD", "opaque")),
        "vat_photopolymerization": (
            ("Surgical Guide Resin", "translucent"),
            ("BioMed Clear Resin", "transparent"),
            ("BioMed Amber Resin", "translucent"),
        ),
        "material_extrusion": (("PETG", "translucent"), ("PLA", "opaque")),
        "powder_bed_fusion": (("PA12", "opaque"), ("PA11", "opaque")),
        "binder_jetting": (("VisiJet PXL Core", "opaque"),),
        "sheet_lamination": (("Colour paper", "opaque"),),
    },
}
# Median machine minutes and material cost (USD) per print, per technology.
_MACHINE = {
    "material_jetting": (600, 120.0),
    "vat_photopolymerization": (480, 30.0),
    "material_extrusion": (720, 6.0),
    "powder_bed_fusion": (900, 40.0),
    "binder_jetting": (360, 60.0),
    "sheet_lamination": (600, 12.0),
}
_SEGMENTATION = (
    ("Materialise Mimics InPrint", True),
    ("Materialise Mimics Medical", True),
    ("3D Slicer", False),
    ("Synopsys Simpleware ScanIP Medical", True),
    ("Axial3D Insight", True),
)
_SEG_PICK = _wi(28, 30, 22, 12, 8)
_CAD = _Weighted(
    [
        ("Materialise 3-matic", 45.0),
        ("Autodesk Meshmixer", 20.0),
        ("Geomagic Freeform", 10.0),
        ("Blender", 10.0),
        ("SolidWorks", 10.0),
        ("nTopology", 5.0),
    ]
)

# --- clinical content -------------------------------------------------------------------------

_MODEL_SYSTEMS = _w(
    "cardiac:27 vascular:10 neurologic:8 craniomaxillofacial:8 head_neck:5 "
    "thoracic:6 breast:2 abdominal:7 genitourinary:8 musculoskeletal:12 spine:4 "
    "other:3"
)
_GUIDE_SYSTEMS = _w(
    "neurologic:30 craniomaxillofacial:25 musculoskeletal:20 spine:8 head_neck:7 "
    "cardiac:1 vascular:1 thoracic:1 breast:1 abdominal:1 genitourinary:1 other:4"
)
# "= system" starts a block; rows: m(odel)/g(uide)/b(oth)|ICD-10-CM codes|region|subregion|
# structure|indication text (short clinical phrases: no dates, names or long digit runs).
_INDICATIONS = """
= cardiac
m|Q20.1|chest|ventricles|heart|Double outlet right ventricle, surgical planning for VSD baffle
m|Q21.3|chest|right ventricular outflow|heart|Tetralogy of Fallot, planning of complete repair
m|Q24.8|chest|whole heart|heart|Complex congenital heart disease, biventricular repair planning
m|I35.0|chest|aortic root|heart|Severe aortic stenosis, TAVR sizing and annulus assessment
m|I42.1|chest|left ventricle|heart|Hypertrophic obstructive cardiomyopathy, myectomy planning
m|I48.91|chest|left atrial appendage|heart|Left atrial appendage occlusion device sizing
m|I34.0|chest|mitral valve|heart|Mitral regurgitation, transcatheter valve planning
m|Q25.1|chest|aortic arch|vessel|Coarctation of the aorta, stent planning
m|Q20.3|chest|great arteries|heart|Transposition of the great arteries, switch planning
m|Q21.0|chest|ventricular septum|heart|Ventricular septal defect, device closure planning
g|Q22.1|chest|pulmonary valve|heart|Pulmonary valve conduit, positioning template
= vascular
m|I71.4|abdomen|infrarenal aorta|vessel|Abdominal aortic aneurysm, endograft planning
m|I71.2|chest|descending aorta|vessel|Thoracic aortic aneurysm, endovascular repair planning
m|I71.01|chest|thoracic aorta|vessel|Aortic dissection, fenestrated graft planning
m|I67.1|head|circle of Willis|vessel|Intracranial aneurysm, clipping versus coiling planning
m|I72.2|abdomen|renal artery|vessel|Renal artery aneurysm, embolisation planning
m|Q27.32|lower_extremity|calf|vessel|Arteriovenous malformation of the leg, sclerotherapy planning
g|I71.4|abdomen|juxtarenal aorta|vessel|Physician-modified endograft, fenestration template
= neurologic
m|C71.1|head|frontal lobe|tumor|Glioma near eloquent cortex, resection planning
m|D32.0|head|skull base|tumor|Skull base meningioma, surgical approach planning
m|Q28.2|head|parietal lobe|vessel|Cerebral arteriovenous malformation, resection planning
m|D33.3|head|cerebellopontine angle|nerve|Vestibular schwannoma, approach planning
g|M95.2|head|calvarium|bone|Cranioplasty after decompressive craniectomy, implant cutting guide
g|D43.2|head|thalamus|tumor|Stereotactic biopsy trajectory guide for deep brain lesion
g|G25.0|head|subthalamic region|other|Burr hole drilling guide for deep brain stimulation
g|Q75.0|head|calvarium|bone|Craniosynostosis, cranial vault remodelling osteotomy guide
g|G40.219|head|temporal lobe|other|Stereo-EEG electrode trajectory guide for epilepsy surgery
g|D32.0|head|skull base|bone|Skull base tumour, bone resection guide
= craniomaxillofacial
b|D16.5|head|mandible|bone|Mandibular reconstruction with fibula free flap, osteotomy guides
b|M26.213|head|maxilla|bone|Class III malocclusion, orthognathic osteotomy planning
m|S02.3XXA|head|orbit|bone|Orbital floor fracture, implant contouring model
m|S02.400A|head|zygoma|bone|Zygomaticomaxillary complex fracture, reduction planning
b|C41.0|head|maxilla|tumor|Maxillary tumour, resection and reconstruction planning
g|Q67.4|head|mandible|bone|Hemifacial microsomia, distraction osteogenesis guide
= head_neck
m|J38.6|neck|trachea|airway|Laryngotracheal stenosis, airway stent planning
b|C06.9|head|mandible|tumor|Oral cavity carcinoma with mandibular invasion, resection planning
m|E04.2|neck|thyroid|organ|Goitre with tracheal compression, surgical planning
m|C30.0|head|nasal cavity|tumor|Sinonasal tumour, endoscopic resection planning
g|H90.3|head|temporal bone|bone|Cochlear implant, temporal bone drilling guide
= thoracic
m|R91.1|chest|lung|organ|Solitary lung nodule, segmentectomy planning
m|C34.11|chest|right upper lobe|tumor|Lung carcinoma, lobectomy planning
b|Q67.6|chest|anterior chest wall|bone|Pectus excavatum, bar shaping and positioning
m|J98.09|chest|bronchi|airway|Tracheobronchomalacia, airway splint planning
b|C49.3|chest|chest wall|tumor|Chest wall sarcoma, resection and reconstruction planning
= breast
m|C50.911|breast|upper outer quadrant|tumor|Breast carcinoma, lumpectomy planning
b|Z42.1|breast|breast|organ|Breast reconstruction after mastectomy, flap volume planning
m|D48.62|breast|breast|tumor|Phyllodes tumour, excision planning
= abdominal
m|C22.0|abdomen|liver|tumor|Hepatocellular carcinoma, liver resection planning
m|C78.7|abdomen|liver|tumor|Colorectal liver metastases, hepatectomy planning
m|Z52.6|abdomen|liver|organ|Living donor liver transplant, volumetry and vascular planning
m|C25.0|abdomen|pancreas|tumor|Pancreatic head tumour, pancreaticoduodenectomy planning
g|C22.0|abdomen|liver|organ|Liver resection, parenchymal transection template
= genitourinary
m|C64.1|abdomen|right kidney|tumor|Renal cell carcinoma, partial nephrectomy planning
m|C64.2|abdomen|left kidney|tumor|Renal mass, nephron-sparing surgery planning
m|C61|pelvis|prostate|organ|Prostate cancer, prostatectomy planning
m|N20.0|abdomen|kidney|organ|Staghorn calculus, percutaneous nephrolithotomy planning
m|Q63.1,N13.0|abdomen|kidney|organ|Horseshoe kidney with obstruction, pyeloplasty planning
g|Q64.10|pelvis|pubic symphysis|bone|Bladder exstrophy, pelvic osteotomy guide
= musculoskeletal
b|S82.101A|lower_extremity|tibial plateau|bone|Tibial plateau fracture, fixation planning
m|S82.201A|lower_extremity|tibial shaft|bone|Tibial shaft fracture, plate contouring
m|S32.401A|pelvis|acetabulum|bone|Acetabular fracture, fixation planning
b|S52.501P|upper_extremity|distal radius|bone|Malunited distal radius, corrective osteotomy
b|C40.21|lower_extremity|distal femur|tumor|Distal femur sarcoma, limb-salvage resection
b|C41.4|pelvis|ilium|tumor|Pelvic chondrosarcoma, resection planning
g|M17.11|lower_extremity|knee|bone|Complex primary knee arthroplasty, alignment guides
b|M19.011|upper_extremity|glenoid|bone|Glenoid bone loss, arthroplasty baseplate positioning
b|Q65.89|pelvis|acetabulum|bone|Hip dysplasia, periacetabular osteotomy planning
m|Q66.89|lower_extremity|foot|bone|Complex foot deformity, corrective surgery planning
= spine
b|M41.125|spine|thoracic spine|bone|Adolescent idiopathic scoliosis, pedicle screw planning
b|Q76.3|spine|thoracolumbar spine|bone|Congenital kyphoscoliosis, osteotomy planning
m|C41.2|spine|lumbar spine|tumor|Spinal tumour, en bloc resection planning
b|M47.12|spine|cervical spine|bone|Cervical spondylotic myelopathy, screw trajectory planning
g|M43.16|spine|lumbar spine|bone|Spondylolisthesis, pedicle screw drilling guide
= other
m|C49.9|other|soft tissue|tumor|Soft tissue sarcoma, resection planning
m|I89.8|neck|lymphatics|vessel|Lymphatic malformation, sclerotherapy planning
m|Q27.9|upper_extremity|hand|vessel|Vascular malformation of the hand, excision planning
g|M21.6|lower_extremity|foot|bone|Acquired foot deformity, osteotomy guide
"""
# Further parts a model may carry, per organ system: "region:subregion:structure; ...".
_EXTRA_PARTS = {
    "cardiac": "chest:great arteries:vessel; chest:coronary arteries:vessel; chest:airway:airway; "
    "chest:blood pool:heart; chest:pulmonary veins:vessel; chest:sternum:bone",
    "vascular": "abdomen:iliac arteries:vessel; chest:aortic arch:vessel; abdomen:visceral "
    "arteries:vessel; pelvis:pelvis:bone; spine:lumbar spine:bone",
    "neurologic": "head:skull:bone; head:venous sinuses:vessel; head:brain:organ; "
    "head:arteries:vessel",
    "craniomaxillofacial": "head:skull:bone; head:teeth:bone; head:inferior alveolar nerve:nerve; "
    "lower_extremity:fibula:bone",
    "head_neck": "neck:larynx:airway; neck:carotid arteries:vessel; head:mandible:bone; "
    "neck:hyoid:bone",
    "thoracic": "chest:pulmonary arteries:vessel; chest:bronchi:airway; chest:ribs:bone; "
    "chest:mass:tumor",
    "breast": "breast:skin:other; chest:ribs:bone; breast:vessels:vessel",
    "abdominal": "abdomen:portal vein:vessel; abdomen:hepatic veins:vessel; abdomen:bile "
    "ducts:other; abdomen:hepatic artery:vessel",
    "genitourinary": "abdomen:renal artery:vessel; abdomen:renal vein:vessel; abdomen:collecting "
    "system:other; pelvis:bladder:organ",
    "musculoskeletal": "lower_extremity:fibula:bone; pelvis:femoral head:bone; upper_extremity:"
    "ulna:bone; lower_extremity:muscles:muscle; upper_extremity:humerus:bone",
    "spine": "spine:spinal cord:nerve; spine:vertebral arteries:vessel; pelvis:sacrum:bone",
    "other": "other:skin:other; other:vessels:vessel; other:bone:bone",
}
_MODALITIES = {
    "cardiac": "cta:55 ct:15 mr:20 echo_3d:10",
    "vascular": "cta:80 mra:15 rotational_angio:5",
    "neurologic": "mr:50 ct:30 cta:10 mra:10",
    "craniomaxillofacial": "ct:60 cbct:40",
    "head_neck": "ct:70 mr:20 cbct:10",
    "thoracic": "ct:80 cta:20",
    "breast": "mr:90 us:10",
    "abdominal": "ct:60 cta:20 mr:20",
    "genitourinary": "ct:50 cta:20 mr:30",
    "musculoskeletal": "ct:90 mr:10",
    "spine": "ct:90 mr:10",
    "other": "ct:60 mr:30 other:10",
}
_SLICE = {
    "ct": (0.5, 0.625, 0.75, 1.0, 1.25),
    "cta": (0.5, 0.625, 0.75, 1.0),
    "cbct": (0.2, 0.3, 0.4),
    "mr": (0.8, 1.0, 1.5, 2.0),
    "mra": (0.6, 0.8, 1.0),
}
_SERVICE = {
    "cardiac": "cardiac_surgery:60 cardiology:40",
    "vascular": "vascular_surgery:60 interventional_radiology:40",
    "neurologic": "neurosurgery:1",
    "craniomaxillofacial": "omfs_ent:60 plastic_surgery:40",
    "head_neck": "omfs_ent:1",
    "thoracic": "other:70 general_hpb_surgery:30",
    "breast": "plastic_surgery:50 other:50",
    "abdominal": "general_hpb_surgery:1",
    "genitourinary": "urology:1",
    "musculoskeletal": "orthopaedics:1",
    "spine": "neurosurgery:50 orthopaedics:50",
    "other": "other:60 plastic_surgery:20 interventional_radiology:20",
}
_GUIDE_TYPE = {
    "neurologic": "drilling:50 cutting:30 positioning:20",
    "craniomaxillofacial": "cutting:40 cutting_drilling:40 positioning:15 drilling:5",
    "musculoskeletal": "cutting:40 drilling:20 cutting_drilling:30 positioning:10",
    "spine": "drilling:80 positioning:15 other:5",
}
_PAEDIATRIC = {
    "cardiac": 0.45,
    "craniomaxillofacial": 0.2,
    "spine": 0.25,
    "neurologic": 0.12,
    "musculoskeletal": 0.1,
}
_FLUORO = {"cardiac": 0.35, "vascular": 0.6, "spine": 0.3, "musculoskeletal": 0.2}
# Intended uses in value-set order with their probability, per object type.
_USES = {
    "anatomic_model": (
        ("surgical_planning", 0.85),
        ("intraprocedural_guidance", 0.1),
        ("procedure_rehearsal", 0.1),
        ("device_sizing", 0.06),
        ("patient_education", 0.2),
        ("trainee_education", 0.15),
        ("multidisciplinary_communication", 0.15),
        ("other", 0.02),
    ),
    "anatomic_guide": (
        ("surgical_planning", 0.4),
        ("intraprocedural_guidance", 0.95),
        ("procedure_rehearsal", 0.05),
    ),
}
_SCENARIO_ALIASES = {
    "cardiac": "cardiac card chd",
    "vascular": "vascular vasc",
    "neurologic": "neurologic neuro",
    "craniomaxillofacial": "craniomaxillofacial craniofacial cranio cmf",
    "head_neck": "head_neck headneck hn ent",
    "thoracic": "thoracic thorax thor chest",
    "breast": "breast",
    "abdominal": "abdominal abdomen abd hpb",
    "genitourinary": "genitourinary uro gu",
    "musculoskeletal": "musculoskeletal msk ortho",
    "spine": "spine spinal",
    "other": "other",
}
_EXTREMITY_OR_BREAST = frozenset({"upper_extremity", "lower_extremity", "breast"})
_SIDES, _SEX = _w("right:45 left:45 bilateral:10"), _w("female:48 male:48 unknown:3 other:1")
_MODEL_PARTS, _GUIDE_PARTS = _wi(0, 30, 25, 18, 12, 9, 6), _wi(50, 35, 15)
_MODEL_PRINTS, _GUIDE_PRINTS = _wi(0, 60, 30, 10), _wi(0, 80, 20)
_GUIDE_COUNT, _COPIES = _wi(0, 55, 25, 12, 8), _wi(0, 80, 15, 5)
_PERFORMED, _ROLE = _w("yes:85 no:8 unknown:7"), _w("attending:70 trainee:25 other:5")
_LIKERT_HIGH, _LIKERT_MID = _wi(0, 2, 5, 15, 38, 40), _wi(0, 15, 20, 25, 25, 15)
_CONF_BEFORE = _wi(0, 5, 20, 40, 30, 5)
_CONF_GAIN = _Weighted([(-1, 5.0), (0, 35.0), (1, 45.0), (2, 15.0)])
_SCALES = (50, 75, 80, 150, 200)
_MULTICOLOR = {
    "material_jetting": 0.6,
    "binder_jetting": 0.9,
    "sheet_lamination": 1.0,
    "material_extrusion": 0.1,
}
_MULTIMATERIAL = {"material_jetting": 0.4, "material_extrusion": 0.1}
_COMMENTS = (
    "Model clarified the relationship of the lesion to adjacent vessels.",
    "Guide fit well and shortened the osteotomy step.",
    "Helpful for counselling the family before surgery.",
    "Sizing from the model matched the device implanted.",
    "Would request again for similar anatomy.",
)
_ACTIVITIES = ("consultation", "segmentation", "cad", "prep_post")
_STAFF = ("clinician", "nonclinician")
# Mean minutes per activity (clinician, non-clinician) and the share of zero cells: 90 clinician
# and 335 non-clinician minutes per case for both object types, segmentation the largest share.
_EFFORT_MEAN = {
    "anatomic_model": ((30, 25), (32, 160), (8, 70), (20, 80)),
    "anatomic_guide": ((35, 30), (27, 130), (13, 120), (15, 55)),
}
_EFFORT_ZERO = ((0.05, 0.2), (0.1, 0.02), (0.5, 0.1), (0.4, 0.05))
_EFFORT_KEYS = tuple(f"effort_{a}_{s}_min" for a in _ACTIVITIES for s in _STAFF)
_UNKNOWN_SHARE, _DRAFT_SHARE, _UNBILLED, _MISCODED, _ASSESSED = 0.03, 0.08, 0.40, 0.08, 0.39
_HISTORY_DAYS = 3 * 365
_DRAFT_DROPS = (
    ("delivery_date",),
    ("indication_icd10",),
    ("segmentation_software",),
    ("prints",),
    _EFFORT_KEYS,
    (
        "procedure_performed",
        "procedure_date",
        "used_phases",
        "fluoroscopy_guided",
        "fluoro_time_saved_min",
    ),
)
_BILLING = {"anatomic_model": ("0559T", "0560T"), "anatomic_guide": ("0561T", "0562T")}

Part = tuple[str, str, str]
# printer label, materials (name, optical), P(multicolor), P(multimaterial), minutes, cost
_PrintOption = tuple[str, tuple[tuple[str, str], ...], float, float, int, float]
Indication = tuple[str, list[str], Part]


def _parts(spec: str) -> tuple[Part, ...]:
    return tuple((r, s, t) for r, s, t in (p.strip().split(":") for p in spec.split(";")))


def _indications() -> dict[tuple[str, str], tuple[Indication, ...]]:
    table: dict[tuple[str, str], list[Indication]] = {}
    system = ""
    for line in _INDICATIONS.strip().splitlines():
        if line.startswith("= "):
            system = line[2:]
            continue
        kinds, icd, region, subregion, structure, text = line.split("|")
        entry = (text, icd.split(","), (region, subregion, structure))
        for kind, letter in (("anatomic_model", "m"), ("anatomic_guide", "g")):
            if kinds in ("b", letter):
                table.setdefault((system, kind), []).append(entry)
    return {key: tuple(rows) for key, rows in table.items()}


def _effort_cells(kind: str) -> tuple[tuple[str, float, float], ...]:
    """(element name, mean of non-zero values, u below which the cell is unknown or 0) per cell."""
    return tuple(
        (
            f"effort_{act}_{staff}_min",
            _EFFORT_MEAN[kind][a][s] / (1 - _EFFORT_ZERO[a][s]),
            _UNKNOWN_SHARE + _EFFORT_ZERO[a][s] * (1 - _UNKNOWN_SHARE),
        )
        for a, act in enumerate(_ACTIVITIES)
        for s, staff in enumerate(_STAFF)
    )


def _scenario_table(codes: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Scenario codes per organ system, matched on the code's leading word; when no code matches
    any system (an unknown code style) every system draws from all codes."""
    aliases = sorted(
        ((a, system) for system, names in _SCENARIO_ALIASES.items() for a in names.split()),
        key=lambda pair: -len(pair[0]),
    )
    table: dict[str, list[str]] = {}
    for code in codes:
        low = code.lower()
        for alias, system in aliases:
            if low.startswith(alias) and not low[len(alias) : len(alias) + 1].isalpha():
                table.setdefault(system, []).append(code)
                break
    if codes and not table:
        return dict.fromkeys(_SCENARIO_ALIASES, tuple(codes))
    return {system: tuple(found) for system, found in table.items()}


_INDICATION_TABLE = _indications()
_EXTRA_TABLE = {system: _parts(spec) for system, spec in _EXTRA_PARTS.items()}
_PICKS = {
    name: {system: _w(spec) for system, spec in table.items()}
    for name, table in (("modality", _MODALITIES), ("service", _SERVICE), ("guide", _GUIDE_TYPE))
}
_GUIDE_TYPE_DEFAULT = _w("cutting:45 positioning:35 drilling:10 other:10")
_CELLS = {kind: _effort_cells(kind) for kind in _EFFORT_MEAN}


@dataclass(slots=True)
class _Site:
    facility: SynthFacility
    printer_pick: dict[str, _Weighted[_PrintOption]]
    segmentation: int
    childrens: bool
    next_seq: int = 1


class SyntheticRegistry:
    """Fictional facilities with printers, and an endless, reproducible stream of their cases.

    The same ``seed``, ``facilities`` and ``today`` give the same facilities, printers and cases;
    ``today`` defaults to the current UTC date, so pass it when runs must be reproducible.
    """

    def __init__(self, seed: int, facilities: int, today: dt.date | None = None) -> None:
        if facilities < 1:
            raise ValueError("a synthetic registry needs at least one facility")
        self.today = today or dt.datetime.now(dt.UTC).date()
        self._rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.facilities: list[SynthFacility] = []
        self.printers: list[SynthPrinter] = []
        self._sites: list[_Site] = []
        names: set[str] = set()
        for number in range(1, facilities + 1):
            self._add_facility(f"F{number:04d}", names)
        self._site_pick = _Weighted([(s, float(s.facility.annual_volume)) for s in self._sites])
        first = self.today.toordinal() - _HISTORY_DAYS
        self._iso = [dt.date.fromordinal(first + k).isoformat() for k in range(_HISTORY_DAYS + 1)]

    def _add_facility(self, code: str, names: set[str]) -> None:
        rng = self._rng
        kind = _FACILITY_TYPE.pick(rng)
        base = name = f"{rng.choice(_PLACES)} {rng.choice(_SUFFIXES[kind])}"
        for campus in ("North", "South", "East", "West", "Central", "Riverside", "Hillside"):
            if name not in names:
                break
            name = f"{base}, {campus} Campus"
        else:
            name = f"{base} ({code})" if name in names else name
        names.add(name)
        scale, alpha = _VOLUME[kind]
        volume = max(5, min(3000, int(scale * rng.paretovariate(alpha))))
        facility = SynthFacility(
            code, name, kind, _LOCATION.pick(rng), _CENSUS.pick(rng), _LAB_MODEL.pick(rng), volume
        )
        count = max(_PRINTER_COUNT.pick(rng), 3 if volume > 100 else 1)
        seen: dict[str, int] = {}
        printers = []
        for _ in range(count):
            short, maker, model, tech = _MAKES.pick(rng)
            seen[short] = seen.get(short, 0) + 1
            printers.append(SynthPrinter(code, f"{short}-{seen[short]}", maker, model, tech))
        pick = {  # what a print of each object type needs to know of the printer it is made on
            object_type: _Weighted(
                [
                    (
                        (
                            p.label,
                            _MATERIALS[object_type][p.technology],
                            _MULTICOLOR.get(p.technology, 0.0)
                            if object_type == "anatomic_model"
                            else 0.0,
                            _MULTIMATERIAL.get(p.technology, 0.0)
                            if object_type == "anatomic_model"
                            else 0.0,
                            *_MACHINE[p.technology],
                        ),
                        pref[p.technology],
                    )
                    for p in printers
                ]
            )
            for object_type, pref in _TECH_PREF.items()
        }
        self.facilities.append(facility)
        self.printers.extend(printers)
        self._sites.append(_Site(facility, pick, _SEG_PICK.pick(rng), kind == "childrens"))

    def cases(
        self, count: int, *, scenario_codes: Sequence[str] = ()
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield ``count`` (facility code, record) pairs, facilities drawn by annual volume.

        With ``scenario_codes``, about half the cases carry an appropriateness_scenario whose code
        starts with the case's organ system (e.g. ``cardiac_03``, ``MSK-2``) when one exists.
        """
        scenarios = _scenario_table(scenario_codes)
        pick, rng = self._site_pick.pick, self._rng
        for _ in range(count):
            site = pick(rng)
            yield site.facility.code, self._case(site, scenarios)

    def _case(self, site: _Site, scenarios: dict[str, tuple[str, ...]]) -> dict[str, Any]:
        rng = self._rng
        r = rng.random
        kind = "anatomic_model" if r() < 0.7 else "anatomic_guide"
        model = kind == "anatomic_model"
        system = (_MODEL_SYSTEMS if model else _GUIDE_SYSTEMS).pick(rng)
        choices = _INDICATION_TABLE[system, kind]
        text, icds, dominant = choices[int(r() * len(choices))]
        request = int(r() * (_HISTORY_DAYS + 1))
        seq, site.next_seq = site.next_seq, site.next_seq + 1
        year = self._iso[request][:4]
        rec: dict[str, Any] = {
            "facility": site.facility.code,
            "status": "complete",
            "local_case_id": f"3DP-{year}-{seq:06d}"
            if seq < 1_000_000
            else f"3DP-{year}-{seq // 1_000_000}K{seq % 1_000_000:06d}",
            "patient_age_years": self._age(system, site.childrens),
        }
        if r() < 0.9:
            rec["patient_sex"] = "female" if system == "breast" else _SEX.pick(rng)
        rec["request_date"] = self._iso[request]
        ready = request + _TURNAROUND[int(r() * _N)]
        if ready <= _HISTORY_DAYS:
            rec["delivery_date"] = self._iso[ready]
        modality = _PICKS["modality"][system]
        first = modality.pick(rng)
        second = modality.pick(rng) if r() < 0.2 else first
        rec["source_modalities"] = [first] if second == first else [first, second]
        if first in _SLICE and r() < 0.7:
            slices = _SLICE[first]
            rec["slice_thickness_mm"] = slices[int(r() * len(slices))]
        rec["organ_system"] = system
        rec["indication_text"] = text
        if r() < 0.85:
            rec["indication_icd10"] = list(icds)
        found = scenarios.get(system)
        if found and r() < 0.5:
            rec["appropriateness_scenario"] = found[int(r() * len(found))]
        self._digital_model(rec, kind, system, dominant, site)
        n_parts = len(rec.get("anatomic_parts", ()))
        rec["prints"] = self._prints(kind, n_parts, site)
        self._procedure(rec, kind, system, request=request, ready=ready, n_parts=n_parts)
        self._effort(rec, kind)
        if rec.get("procedure_performed") == "yes" and r() < _ASSESSED:
            self._assessment(rec)
        if r() < _DRAFT_SHARE:
            rec["status"] = "draft"
            for _ in range(1 + int(r() * 3)):
                for key in _DRAFT_DROPS[int(r() * len(_DRAFT_DROPS))]:
                    rec.pop(key, None)
        return rec

    def _age(self, system: str, childrens: bool) -> float | int:
        r = self._rng.random
        if r() < (0.9 if childrens else _PAEDIATRIC.get(system, 0.04)):
            if r() < 0.3:
                return round(int(r() * 24) / 12, 2)
            return 2 + int(r() * 16)
        return _ADULT_AGE[int(r() * _N)]

    def _digital_model(
        self, rec: dict[str, Any], kind: str, system: str, dominant: Part, site: _Site
    ) -> None:
        rng = self._rng
        r = rng.random
        model = kind == "anatomic_model"
        rec["object_type"] = kind
        uses = [
            code
            for code, p in _USES[kind]
            if r() < (0.3 if code == "device_sizing" and system in ("cardiac", "vascular") else p)
        ]
        rec["intended_uses"] = uses or [_USES[kind][0 if model else 1][0]]
        rec["ordering_service"] = _PICKS["service"][system].pick(rng)
        if not model:
            rec["guide_type"] = _PICKS["guide"].get(system, _GUIDE_TYPE_DEFAULT).pick(rng)
            rec["guide_count"] = _GUIDE_COUNT.pick(rng)
        software, cleared = _SEGMENTATION[site.segmentation if r() < 0.8 else _SEG_PICK.pick(rng)]
        rec["segmentation_software"] = software
        if r() < 0.8:
            rec["segmentation_software_fda_cleared"] = cleared
        if not model or r() < 0.6:
            rec["cad_software"] = _CAD.pick(rng)
        n_parts = (_MODEL_PARTS if model else _GUIDE_PARTS).pick(rng)
        if n_parts:
            extra = _EXTRA_TABLE[system]
            parts = []
            for number in range(n_parts):
                region, subregion, structure = (
                    dominant if number == 0 else extra[int(r() * len(extra))]
                )
                part = {"region": region, "subregion": subregion, "structure": structure}
                if r() < 0.15:
                    del part["subregion"]
                if region in _EXTREMITY_OR_BREAST:
                    part["laterality"] = _SIDES.pick(rng)
                else:
                    u = r()
                    if u < 0.55:
                        part["laterality"] = "not_applicable"
                    elif u < 0.65:
                        part["laterality"] = "right" if u < 0.6 else "left"
                parts.append(part)
            rec["anatomic_parts"] = parts

    def _prints(self, kind: str, n_parts: int, site: _Site) -> list[dict[str, Any]]:
        rng = self._rng
        r = rng.random
        model = kind == "anatomic_model"
        n_prints = (_MODEL_PRINTS if model else _GUIDE_PRINTS).pick(rng)
        groups: list[list[int]] = []
        if model:  # every part goes to exactly one print, and every print holds a part
            n_prints = min(n_prints, n_parts)
            groups = [[k + 1] for k in range(n_prints)]
            for number in range(n_prints + 1, n_parts + 1):
                groups[int(r() * n_prints)].append(number)
            for group in groups:
                group.sort()
        prints = []
        pick = site.printer_pick[kind].pick
        for k in range(n_prints):
            label, materials, multicolor, multimaterial, minutes, cost = pick(rng)
            material, optical = materials[int(r() * len(materials))]
            copies = _COPIES.pick(rng)
            row: dict[str, Any] = {
                "printer": label,
                "material": material,
                "scale_pct": 100 if r() < 0.92 else _SCALES[int(r() * len(_SCALES))],
                "copies": copies,
                "optical": optical,
                "multicolor": r() < multicolor,
                "multimaterial": r() < multimaterial,
                "sterilized": r() < (0.05 if model else 0.9),
            }
            if model:
                row["part_numbers"] = groups[k]
            elif n_parts and k == 0:
                row["part_numbers"] = list(range(1, n_parts + 1))
            if r() < 0.7:
                row["machine_time_min"] = round(minutes * copies * _LOG06[int(r() * _N)])
            if r() < 0.6:
                row["material_cost_usd"] = round(cost * copies * _LOG07[int(r() * _N)], 2)
            prints.append(row)
        return prints

    def _procedure(
        self, rec: dict[str, Any], kind: str, system: str, *, request: int, ready: int, n_parts: int
    ) -> None:
        rng = self._rng
        r = rng.random
        performed = _PERFORMED.pick(rng)
        day = ready + int(rng.expovariate(1 / 14))
        if performed == "yes" and day > _HISTORY_DAYS:
            performed = "unknown"  # not done yet
        rec["procedure_performed"] = performed
        if performed == "yes":
            rec["procedure_date"] = self._iso[max(day, request)]
            if kind == "anatomic_guide":
                phases = ["pre_procedure", "intra_procedure"] if r() < 0.4 else ["intra_procedure"]
            elif r() < 0.05:
                phases = ["education_only"]
            else:
                phases = ["pre_procedure"]
                if r() < 0.35:
                    phases.append("intra_procedure")
                if r() < 0.05:
                    phases.append("post_procedure")
            rec["used_phases"] = phases
            rec["fluoroscopy_guided"] = r() < _FLUORO.get(system, 0.02)
        if r() >= _UNBILLED:
            primary, addon = _BILLING[kind]
            extra = (n_parts if kind == "anatomic_model" else rec["guide_count"]) - 1
            if r() < _MISCODED:
                extra += -1 if extra and r() < 0.5 else 1
            billed = [{"code": primary, "units": 1}]
            if extra > 0:
                billed.append({"code": addon, "units": extra})
            rec["billed_codes"] = billed

    def _effort(self, rec: dict[str, Any], kind: str) -> None:
        rng = self._rng
        r = rng.random
        case = _LOG05[int(r() * _N)]  # one log-normal factor per case, and one per cell
        for key, mean, zero in _CELLS[kind]:  # at most ~6,000 minutes, below the 59,940 limit
            u = r()
            if u < _UNKNOWN_SHARE:
                rec[key] = "unknown"
            elif u < zero:
                rec[key] = 0
            else:
                rec[key] = round(mean * case * _LOG06[int(r() * _N)])

    def _assessment(self, rec: dict[str, Any]) -> None:
        rng = self._rng
        r = rng.random
        high = _LIKERT_HIGH.pick
        rec["respondent_role"] = _ROLE.pick(rng)
        rec["easy_to_use"] = high(rng)
        rec["compatible_with_approach"] = high(rng)
        rec["plan_altered"] = _LIKERT_MID.pick(rng)
        rec["important_for_case"] = high(rng)
        rec["quality_adequate"] = high(rng)
        before = _CONF_BEFORE.pick(rng)
        rec["confidence_before"] = before
        rec["confidence_after"] = max(1, min(5, before + _CONF_GAIN.pick(rng)))
        if r() < 0.85:
            rec["time_saved_min"] = _TIME_SAVED[int(r() * _N)]
        if rec["fluoroscopy_guided"] and r() < 0.7:
            rec["fluoro_time_saved_min"] = _FLUORO_SAVED[int(r() * _N)]
        if r() < 0.15:
            rec["assessment_comment"] = _COMMENTS[int(r() * len(_COMMENTS))]
