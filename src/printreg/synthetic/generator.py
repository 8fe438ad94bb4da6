"""Generate fictional facilities, printers and 3D Printing Registry cases, fast and reproducibly.

The mix follows the published first three years of the ACR-RSNA 3D Printing Registry: about 70%
anatomic models and 30% guides, cardiac the commonest model system (~27%), neurologic then
craniomaxillofacial and musculoskeletal the commonest guide systems, a mean effort of about 90
clinician and 335 non-clinician minutes per case, and mostly material jetting, vat
photopolymerisation and material extrusion prints. Records follow docs/record-shape.md; every
name, indication and identifier is invented, and free text carries no date, name or long digit run.
Software and materials are the coded values of definition 1.1.0 (the product tables below name
what labs buy; ``_MATERIAL_CODE`` and friends give the code, or "other" with its specify-text).

Speed: constant distributions are tables of ``_N`` equally likely slots (resolution 1/4096), so a
draw is one ``random()`` and an index; per-facility weights (volume, printers) are exact bisections.
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
_N = 4096


def _table(pairs: Sequence[tuple[T, float]]) -> tuple[T, ...]:
    """Return ``_N`` equally likely slots filled in proportion to the weights."""
    total, reached, slots = sum(w for _, w in pairs), 0.0, list[T]()
    for item, weight in pairs:
        reached += weight
        slots.extend([item] * (round(reached * _N / total) - len(slots)))
    return tuple(slots)


def _w(spec: str) -> tuple[str, ...]:
    """Slots from 'code:weight code:weight ...'."""
    return _table([(c, float(w)) for c, w in (p.split(":") for p in spec.split())])


def _wi(*weights: float) -> tuple[int, ...]:
    """Slots of the integers 0, 1, 2, ... with the given weights."""
    return _table([(value, float(w)) for value, w in enumerate(weights)])


def _rows(text: str) -> list[list[str]]:
    """The '|'-separated, stripped fields of each non-blank line of a text table."""
    return [[f.strip() for f in line.split("|")] for line in text.strip().splitlines()]


class _Weighted(Generic[T]):
    """Items with exact weights, drawn with one ``random()`` and a bisection."""

    __slots__ = ("_cum", "_items")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self._items = tuple(item for item, _ in pairs)
        total = sum(w for _, w in pairs)
        self._cum = [c / total for c in accumulate(w for _, w in pairs)]
        self._cum[-1] = 1.0

    def pick(self, rng: random.Random) -> T:
        return self._items[bisect_right(self._cum, rng.random())]


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
class FacilityPlan:
    """A facility whose profile and annual volume are chosen rather than drawn: the demo's own
    site and a peer group (same type, location and region) large enough to compare with."""

    facility_type: str
    location: str
    census_region: str
    annual_volume: int
    lab_service_model: str = "radiology"


@dataclass(frozen=True)
class SynthPrinter:
    """One printer of a facility's inventory."""

    facility_code: str
    label: str
    manufacturer: str
    model: str
    technology: str


# --- facilities and printers ------------------------------------------------------------------

_PLACES = [
    place
    for row in _rows("""
Lakeside | Riverbend | Cedar Valley | Maple Ridge | Harbor Point | Stonebridge | Pinecrest
Silver Lake | Elmwood | Fairhaven | Westbrook | Oak Hollow | Granite Falls | Willow Creek | Bayview
Ashford Vale | Brightwater | Copper Hill | Eastgate | Foxglen | Glenmoor | Ironwood | Juniper Flats
Kestrel Point | Larkspur | Meadowbrook | Northfield | Orchard Hill | Prairie View | Quarry Bend
Redstone | Sagebrush | Thornbury | Upland Plains | Yarrow Creek | Blue Mesa | Coral Bay | Driftwood
""")
    for place in row
]
# type | weight | annual volume: scale, Pareto alpha (a heavy tail) | name suffixes
_FACILITY_TYPES = _rows("""
academic | 35 | 30 | 1.5 | University Hospital, University Medical Center, Academic Medical Center
community | 35 | 6 | 2.0 | Community Hospital, Regional Medical Center, General Hospital
childrens | 12 | 25 | 1.6 | Children's Hospital, Children's Medical Center
freestanding | 8 | 8 | 2.0 | Surgical Center, Orthopaedic and Spine Center, Heart Institute
other | 10 | 6 | 2.0 | Veterans Medical Center, Cancer Institute, Specialty Hospital
""")
_FACILITY_TYPE = _table([(row[0], float(row[1])) for row in _FACILITY_TYPES])
_FACILITY = {row[0]: (int(row[2]), float(row[3]), row[4].split(", ")) for row in _FACILITY_TYPES}
_LOCATION = _w("metropolitan:55 suburban:30 rural:15")
_CENSUS = _w("northeast:22 midwest:22 south:34 west:22")
_LAB_MODEL = _w("radiology:50 surgery:20 engineering_core:20 other:10")
_PRINTER_COUNT = _wi(0, 20, 25, 22, 15, 10, 8)
# label stem | manufacturer | model | technology | share of inventories
_MAKES = _table(
    [
        ((s, m, mo, t), float(w))
        for s, m, mo, t, w in _rows("""
J850    | Stratasys      | J850 Digital Anatomy | material_jetting        | 12
J5      | Stratasys      | J5 DentaJet          | material_jetting        | 6
Form3B  | Formlabs       | Form 3B              | vat_photopolymerization | 14
Form4B  | Formlabs       | Form 4B              | vat_photopolymerization | 12
S5      | Ultimaker      | S5                   | material_extrusion      | 12
MK4     | Prusa Research | Original Prusa MK4   | material_extrusion      | 12
MJF5200 | HP             | Jet Fusion 5200      | powder_bed_fusion       | 4
Fuse1   | Formlabs       | Fuse 1+              | powder_bed_fusion       | 2
PJ660   | 3D Systems     | ProJet CJP 660Pro    | binder_jetting          | 4
ARKe    | Mcor           | ARKe                 | sheet_lamination        | 1
""")
    ]
)
# technology | preference of a model print, of a guide print | P(multicolor), P(multimaterial)
# for models | median machine minutes, material cost (USD) per copy
_TECHNOLOGIES = {
    row[0]: [float(f) for f in row[1:]]
    for row in _rows("""
material_jetting        | 1.6 | 0.7  | 0.6 | 0.4 | 600 | 120
vat_photopolymerization | 1.0 | 1.8  | 0   | 0   | 480 | 30
material_extrusion      | 1.0 | 0.6  | 0.1 | 0.1 | 720 | 6
powder_bed_fusion       | 0.3 | 1.0  | 0   | 0   | 900 | 40
binder_jetting          | 0.6 | 0.05 | 0.9 | 0   | 360 | 60
sheet_lamination        | 0.4 | 0.05 | 1   | 0   | 600 | 12
""")
}
# object type | technology | materials as name/optical (a repeated key adds materials)
_MATERIAL_ROWS = _rows("""
model | material_jetting | VeroClear/transparent, VeroUltra White/opaque, TissueMatrix/opaque
model | material_jetting | Agilus30 Clear/translucent
model | vat_photopolymerization | Clear Resin V4/transparent, White Resin V4/opaque
model | vat_photopolymerization | Elastic 50A Resin/translucent
model | material_extrusion | PLA/opaque, PETG/translucent, TPU 95A/opaque
model | powder_bed_fusion | PA12/opaque
model | binder_jetting | VisiJet PXL Core/opaque
model | sheet_lamination | Colour paper/opaque
guide | material_jetting | MED610/transparent, MED615RGD/opaque
guide | vat_photopolymerization | Surgical Guide Resin/translucent, BioMed Clear Resin/transparent
guide | vat_photopolymerization | BioMed Amber Resin/translucent
guide | material_extrusion | PETG/translucent, PLA/opaque
guide | powder_bed_fusion | PA12/opaque, PA11/opaque
guide | binder_jetting | VisiJet PXL Core/opaque
guide | sheet_lamination | Colour paper/opaque
""")
# segmentation software | FDA-cleared for 3D printing | share
_SEGMENTATION = [
    (name, fda == "yes", float(w))
    for name, fda, w in _rows("""
Materialise Mimics InPrint         | yes | 28
Materialise Mimics Medical         | yes | 30
3D Slicer                          | no  | 22
Synopsys Simpleware ScanIP Medical | yes | 12
Axial3D Insight                    | yes | 8
""")
]
_SEG_PICK = _table([(k, w) for k, (_, _, w) in enumerate(_SEGMENTATION)])
_CAD = _table(
    [
        (name, float(w))
        for name, w in _rows("""
materialise_3matic | 45
autodesk_meshmixer | 20
geomagic_freeform  | 10
blender            | 10
solidworks         | 10
ntopology          | 5
""")
    ]
)
# product name → the code of definition 1.1.0 ("other": the name goes to the specify-text)
_SEGMENTATION_CODE = {
    "Materialise Mimics InPrint": "materialise_mimics",
    "Materialise Mimics Medical": "materialise_mimics",
    "3D Slicer": "slicer_3d",
    "Synopsys Simpleware ScanIP Medical": "synopsys_simpleware",
    "Axial3D Insight": "axial3d",
}
_MATERIAL_CODE = {
    "VeroClear": "clear_photopolymer",
    "VeroUltra White": "rigid_photopolymer",
    "TissueMatrix": "multi_material_photopolymer",
    "Agilus30 Clear": "flexible_photopolymer",
    "Clear Resin V4": "clear_photopolymer",
    "White Resin V4": "rigid_photopolymer",
    "Elastic 50A Resin": "flexible_photopolymer",
    "PLA": "pla",
    "PETG": "petg",
    "TPU 95A": "tpu",
    "PA12": "pa12",
    "PA11": "other",
    "VisiJet PXL Core": "gypsum_sandstone",
    "Colour paper": "other",
    "MED610": "biocompatible_photopolymer",
    "MED615RGD": "biocompatible_photopolymer",
    "Surgical Guide Resin": "biocompatible_photopolymer",
    "BioMed Clear Resin": "biocompatible_photopolymer",
    "BioMed Amber Resin": "biocompatible_photopolymer",
}

# --- clinical content -------------------------------------------------------------------------

# system | share of models, of guides | P(paediatric patient) | P(fluoroscopy-guided procedure)
_SYSTEMS = _rows("""
cardiac             | 27 | 1  | 0.45 | 0.35
vascular            | 10 | 1  | 0.04 | 0.6
neurologic          | 8  | 30 | 0.12 | 0.02
craniomaxillofacial | 8  | 25 | 0.2  | 0.02
head_neck           | 5  | 7  | 0.04 | 0.02
thoracic            | 6  | 1  | 0.04 | 0.02
breast              | 2  | 1  | 0.04 | 0.02
abdominal           | 7  | 1  | 0.04 | 0.02
genitourinary       | 8  | 1  | 0.04 | 0.02
musculoskeletal     | 12 | 20 | 0.1  | 0.2
spine               | 4  | 8  | 0.25 | 0.3
other               | 3  | 4  | 0.04 | 0.02
""")
_MODEL_SYSTEMS = _table([(row[0], float(row[1])) for row in _SYSTEMS])
_GUIDE_SYSTEMS = _table([(row[0], float(row[2])) for row in _SYSTEMS])
_PAEDIATRIC = {row[0]: float(row[3]) for row in _SYSTEMS}
_FLUORO = {row[0]: float(row[4]) for row in _SYSTEMS}
# system | ordering service (weights) | source modality (weights)
_ORDERS = _rows("""
cardiac | cardiac_surgery:60 cardiology:40 | cta:55 ct:15 mr:20 echo_3d:10
vascular | vascular_surgery:60 interventional_radiology:40 | cta:80 mra:15 rotational_angio:5
neurologic | neurosurgery:1 | mr:50 ct:30 cta:10 mra:10
craniomaxillofacial | omfs_ent:60 plastic_surgery:40 | ct:60 cbct:40
head_neck | omfs_ent:1 | ct:70 mr:20 cbct:10
thoracic | other:70 general_hpb_surgery:30 | ct:80 cta:20
breast | plastic_surgery:50 other:50 | mr:90 us:10
abdominal | general_hpb_surgery:1 | ct:60 cta:20 mr:20
genitourinary | urology:1 | ct:50 cta:20 mr:30
musculoskeletal | orthopaedics:1 | ct:90 mr:10
spine | neurosurgery:50 orthopaedics:50 | ct:90 mr:10
other | other:60 plastic_surgery:20 interventional_radiology:20 | ct:60 mr:30 other:10
""")
_SERVICE = {row[0]: _w(row[1]) for row in _ORDERS}
_MODALITY = {row[0]: _w(row[2]) for row in _ORDERS}
_GUIDE_TYPE = {
    "neurologic": _w("drilling:50 cutting:30 positioning:20"),
    "craniomaxillofacial": _w("cutting:40 cutting_drilling:40 positioning:15 drilling:5"),
    "musculoskeletal": _w("cutting:40 drilling:20 cutting_drilling:30 positioning:10"),
    "spine": _w("drilling:80 positioning:15 other:5"),
}
_GUIDE_TYPE_DEFAULT = _w("cutting:45 positioning:35 drilling:10 other:10")
# "= system" starts a block; rows: m(odel)/g(uide)/b(oth) | ICD-10-CM codes | region | subregion |
# structure | indication (short clinical phrases: no dates, names or long digit runs)
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
# system | further parts a model may carry, as region:subregion:structure (repeats add parts)
_EXTRA_PARTS = _rows("""
cardiac | chest:great arteries:vessel; chest:coronary arteries:vessel; chest:airway:airway
cardiac | chest:blood pool:heart; chest:pulmonary veins:vessel; chest:sternum:bone
vascular | abdomen:iliac arteries:vessel; chest:aortic arch:vessel; pelvis:pelvis:bone
vascular | abdomen:visceral arteries:vessel; spine:lumbar spine:bone
neurologic | head:skull:bone; head:venous sinuses:vessel; head:brain:organ; head:arteries:vessel
craniomaxillofacial | head:skull:bone; head:teeth:bone; lower_extremity:fibula:bone
craniomaxillofacial | head:inferior alveolar nerve:nerve
head_neck | neck:larynx:airway; neck:carotid arteries:vessel; head:mandible:bone; neck:hyoid:bone
thoracic | chest:pulmonary arteries:vessel; chest:bronchi:airway; chest:ribs:bone; chest:mass:tumor
breast | breast:skin:other; chest:ribs:bone; breast:vessels:vessel
abdominal | abdomen:portal vein:vessel; abdomen:hepatic veins:vessel; abdomen:bile ducts:other
abdominal | abdomen:hepatic artery:vessel
genitourinary | abdomen:renal artery:vessel; abdomen:renal vein:vessel; pelvis:bladder:organ
genitourinary | abdomen:collecting system:other
musculoskeletal | lower_extremity:fibula:bone; pelvis:femoral head:bone; upper_extremity:ulna:bone
musculoskeletal | lower_extremity:muscles:muscle; upper_extremity:humerus:bone
spine | spine:spinal cord:nerve; spine:vertebral arteries:vessel; pelvis:sacrum:bone
other | other:skin:other; other:vessels:vessel; other:bone:bone
""")
# intended use | probability for a model, for a guide (value-set order)
_USES = _rows("""
surgical_planning               | 0.85 | 0.4
intraprocedural_guidance        | 0.1  | 0.95
procedure_rehearsal             | 0.1  | 0.05
device_sizing                   | 0.06 | 0
patient_education               | 0.2  | 0
trainee_education               | 0.15 | 0
multidisciplinary_communication | 0.15 | 0
other                           | 0.02 | 0
""")
# activity | mean minutes per case: model clinician, non-clinician, guide clinician,
# non-clinician | share of zero cells: clinician, non-clinician (totals 90 and 335 minutes)
_EFFORT = _rows("""
consultation | 30 | 25  | 35 | 30  | 0.05 | 0.2
segmentation | 32 | 160 | 27 | 130 | 0.1  | 0.02
cad          | 8  | 70  | 13 | 120 | 0.5  | 0.1
prep_post    | 20 | 80  | 15 | 55  | 0.4  | 0.05
""")
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
_SLICE = {
    "ct": (0.5, 0.625, 0.75, 1.0, 1.25),
    "cta": (0.5, 0.625, 0.75, 1.0),
    "cbct": (0.2, 0.3, 0.4),
    "mr": (0.8, 1.0, 1.5, 2.0),
    "mra": (0.6, 0.8, 1.0),
}
_COMMENTS = (
    "Model clarified the relationship of the lesion to adjacent vessels.",
    "Guide fit well and shortened the osteotomy step.",
    "Helpful for counselling the family before surgery.",
    "Sizing from the model matched the device implanted.",
    "Would request again for similar anatomy.",
)
_SIDES, _SEX = _w("right:45 left:45 bilateral:10"), _w("female:48 male:48 unknown:3 other:1")
_MODEL_PARTS, _GUIDE_PARTS = _wi(0, 30, 25, 18, 12, 9, 6), _wi(50, 35, 15)
_MODEL_PRINTS, _GUIDE_PRINTS = _wi(0, 60, 30, 10), _wi(0, 80, 20)
_GUIDE_COUNT, _COPIES = _wi(0, 55, 25, 12, 8), _wi(0, 80, 15, 5)
_PERFORMED, _ROLE = _w("yes:85 no:8 unknown:7"), _w("attending:70 trainee:25 other:5")
_LIKERT_HIGH, _LIKERT_MID = _wi(0, 2, 5, 15, 38, 40), _wi(0, 15, 20, 25, 25, 15)
_CONF_BEFORE, _CONF_GAIN = _wi(0, 5, 20, 40, 30, 5), _table([(-1, 5), (0, 35), (1, 45), (2, 15)])
_SCALES = (50, 75, 80, 150, 200)
_EXTREMITY_OR_BREAST = frozenset({"upper_extremity", "lower_extremity", "breast"})
_UNKNOWN_SHARE, _DRAFT_SHARE, _UNBILLED, _MISCODED, _ASSESSED = 0.03, 0.08, 0.40, 0.08, 0.39
_HISTORY_DAYS = 3 * 365
_BILLING = {"anatomic_model": ("0559T", "0560T"), "anatomic_guide": ("0561T", "0562T")}
# Standard normal quantiles at the _N slots, and spreads precomputed from them.
_Z = tuple(NormalDist().inv_cdf((k + 0.5) / _N) for k in range(_N))
_LOG05, _LOG06, _LOG07 = (tuple(math.exp(s * z - s * s / 2) for z in _Z) for s in (0.5, 0.6, 0.7))
_TURNAROUND = tuple(min(30, max(1, round(6.0 * math.exp(0.7 * z)))) for z in _Z)
_ADULT_AGE = tuple(max(18, min(95, int(55.0 + 16.0 * z))) for z in _Z)
_TIME_SAVED = tuple(round(35.0 + 45.0 * z) for z in _Z)  # minutes; negative = took longer
_FLUORO_SAVED = tuple(round(4.0 + 6.0 * z, 1) for z in _Z)

Part = tuple[str, str, str]
Indication = tuple[str, tuple[str, ...], Part]
# printer label, materials (name, optical), P(multicolor), P(multimaterial), minutes, cost
_PrintOption = tuple[str, tuple[tuple[str, str], ...], float, float, float, float]


def _indications() -> dict[tuple[str, str], tuple[Indication, ...]]:
    table: dict[tuple[str, str], list[Indication]] = {}
    system = ""
    for line in _INDICATIONS.strip().splitlines():
        if line.startswith("= "):
            system = line[2:]
            continue
        kinds, icd, region, subregion, structure, text = line.split("|")
        entry = (text, tuple(icd.split(",")), (region, subregion, structure))
        for kind, letter in (("anatomic_model", "m"), ("anatomic_guide", "g")):
            if kinds in ("b", letter):
                table.setdefault((system, kind), []).append(entry)
    return {key: tuple(rows) for key, rows in table.items()}


def _grouped(rows: list[list[str]], kind: str = "") -> dict[str, tuple[Any, ...]]:
    """Join repeated keys of a two-column text table: parts (``kind`` empty) or materials."""
    table: dict[str, tuple[Any, ...]] = {}
    for *key, items in rows:
        if kind and key[0] != kind:
            continue
        split = (item.split("/" if kind else ":") for item in items.split(", " if kind else "; "))
        table[key[-1]] = table.get(key[-1], ()) + tuple(tuple(fields) for fields in split)
    return table


def _effort_cells(kind: int) -> tuple[tuple[str, float, float], ...]:
    """(element, mean of non-zero values, u below which the cell is unknown or 0) per cell."""
    cells = []
    for activity, *numbers in _EFFORT:
        for staff, mean, zero in (
            ("clinician", float(numbers[2 * kind]), float(numbers[4])),
            ("nonclinician", float(numbers[2 * kind + 1]), float(numbers[5])),
        ):
            threshold = _UNKNOWN_SHARE + zero * (1 - _UNKNOWN_SHARE)
            cells.append((f"effort_{activity}_{staff}_min", mean / (1 - zero), threshold))
    return tuple(cells)


def _scenario_table(codes: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Scenario codes per organ system, matched on the code's leading word ('cardiac_dorv',
    'MSK-2'); when no code matches any system, every system draws from all the codes."""
    aliases = [(a, system) for system, names in _SCENARIO_ALIASES.items() for a in names.split()]
    aliases.sort(key=lambda pair: -len(pair[0]))
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
_EXTRA = _grouped(_EXTRA_PARTS)
_MATERIALS = {f"anatomic_{k}": _grouped(_MATERIAL_ROWS, k) for k in ("model", "guide")}
_CELLS = {"anatomic_model": _effort_cells(0), "anatomic_guide": _effort_cells(1)}
_USE_P = {
    "anatomic_model": tuple((row[0], float(row[1])) for row in _USES),
    "anatomic_guide": tuple((row[0], float(row[2])) for row in _USES if float(row[2])),
}
_EFFORT_KEYS = tuple(key for key, _, _ in _CELLS["anatomic_model"])
_DRAFT_DROPS = (
    ("delivery_date",),
    ("indication_icd10",),
    ("segmentation_tool", "segmentation_tool_other_text"),
    ("prints",),
    _EFFORT_KEYS,
    ("procedure_performed", "procedure_date", "used_phases", "fluoroscopy_guided"),
)


def _grown(u: float, growth: float) -> float:
    """Return the point in [0, 1) below which a share ``u`` of cases falls when the case rate
    rises linearly from 1 to ``growth`` (the inverse of F(t) = (t + a·t²/2) / (1 + a/2))."""
    a = growth - 1.0
    return (math.sqrt(1.0 + 2.0 * a * u * (1.0 + a / 2.0)) - 1.0) / a


@dataclass(slots=True)
class _Site:
    facility: SynthFacility
    printer_pick: dict[str, _Weighted[_PrintOption]]
    segmentation: int
    childrens: bool
    next_seq: int = 1


class SyntheticRegistry:
    """Fictional facilities with printers, and a reproducible stream of their cases.

    The same ``seed``, ``facilities``, ``today`` and ``plans`` give the same facilities, printers
    and cases; ``today`` defaults to the current UTC date, so pass it when runs must be
    reproducible. ``plans`` fix the profile and volume of the first facilities (F0001, ...);
    the others are drawn. Request dates spread evenly over three years, or with ``growth`` the
    rate of cases rises linearly to that many times its first value (a registry that grows).
    """

    def __init__(
        self,
        seed: int,
        facilities: int,
        today: dt.date | None = None,
        plans: Sequence[FacilityPlan] = (),
        growth: float = 1.0,
    ) -> None:
        if facilities < 1:
            raise ValueError("a synthetic registry needs at least one facility")
        if growth <= 0:
            raise ValueError("growth is a ratio of case rates: it must be positive")
        self._growth = growth
        unknown = {p.facility_type for p in plans} - set(_FACILITY)
        if unknown:
            raise ValueError(f"unknown facility type(s) {sorted(unknown)}: use {sorted(_FACILITY)}")
        self.today = today or dt.datetime.now(dt.UTC).date()
        self._rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.facilities: list[SynthFacility] = []
        self.printers: list[SynthPrinter] = []
        self._sites: list[_Site] = []
        names: set[str] = set()
        for number in range(1, facilities + 1):
            plan = plans[number - 1] if number <= len(plans) else None
            self._add_facility(f"F{number:04d}", names, plan)
        self._site_pick = _Weighted([(s, float(s.facility.annual_volume)) for s in self._sites])
        first = self.today.toordinal() - _HISTORY_DAYS
        self._iso = [dt.date.fromordinal(first + k).isoformat() for k in range(_HISTORY_DAYS + 1)]

    def _add_facility(self, code: str, names: set[str], plan: FacilityPlan | None) -> None:
        rng = self._rng
        r = rng.random
        kind = _FACILITY_TYPE[int(r() * _N)]
        if plan is not None:
            kind = plan.facility_type
        scale, alpha, suffixes = _FACILITY[kind]
        base = name = f"{rng.choice(_PLACES)} {rng.choice(suffixes)}"
        for campus in ("North", "South", "East", "West", "Central", "Riverside", "Hillside", ""):
            if name not in names:
                break
            name = f"{base}, {campus} Campus" if campus else f"{base} ({code})"
        names.add(name)
        volume = max(5, min(3000, int(scale * rng.paretovariate(alpha))))
        where = (_LOCATION[int(r() * _N)], _CENSUS[int(r() * _N)], _LAB_MODEL[int(r() * _N)])
        if plan is not None:  # the draws are made all the same: the plan overrides them
            volume = plan.annual_volume
            where = (plan.location, plan.census_region, plan.lab_service_model)
        facility = SynthFacility(code, name, kind, *where, volume)
        seen: dict[str, int] = {}
        printers = []
        for _ in range(max(_PRINTER_COUNT[int(r() * _N)], 3 if volume > 100 else 1)):
            stem, maker, model, tech = _MAKES[int(r() * _N)]
            seen[stem] = seen.get(stem, 0) + 1
            printers.append(SynthPrinter(code, f"{stem}-{seen[stem]}", maker, model, tech))
        pick = {}  # what a print of each object type needs to know of the printer it is made on
        for k, kind_of_object in enumerate(("anatomic_model", "anatomic_guide")):
            options = []
            for p in printers:
                prefs = _TECHNOLOGIES[p.technology]
                colour, multi = (prefs[2], prefs[3]) if k == 0 else (0.0, 0.0)
                materials = _MATERIALS[kind_of_object][p.technology]
                options.append(((p.label, materials, colour, multi, prefs[4], prefs[5]), prefs[k]))
            pick[kind_of_object] = _Weighted(options)
        self.facilities.append(facility)
        self.printers.extend(printers)
        site = _Site(facility, pick, _SEG_PICK[int(r() * _N)], kind == "childrens")
        self._sites.append(site)

    def cases(
        self, count: int, *, scenario_codes: Sequence[str] = ()
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield ``count`` (facility code, record) pairs, facilities drawn by annual volume.

        Successive calls continue the stream (case ids stay unique per facility). With
        ``scenario_codes``, about half the cases carry an appropriateness_scenario whose code
        starts with the case's organ system when one does.
        """
        scenarios = _scenario_table(scenario_codes)
        pick, rng = self._site_pick.pick, self._rng
        for _ in range(count):
            site = pick(rng)
            yield site.facility.code, self._case(site, scenarios)

    def _case(self, site: _Site, scenarios: dict[str, tuple[str, ...]]) -> dict[str, Any]:
        r = self._rng.random
        iso = self._iso
        kind = "anatomic_model" if r() < 0.7 else "anatomic_guide"
        system = (_MODEL_SYSTEMS if kind == "anatomic_model" else _GUIDE_SYSTEMS)[int(r() * _N)]
        choices = _INDICATION_TABLE[system, kind]
        text, icds, dominant = choices[int(r() * len(choices))]
        u = r()
        if self._growth != 1.0:
            u = _grown(u, self._growth)
        request = int(u * (_HISTORY_DAYS + 1))
        seq = site.next_seq
        site.next_seq += 1
        serial = f"{seq:06d}" if seq < 1_000_000 else f"{seq // 1_000_000}K{seq % 1_000_000:06d}"
        rec: dict[str, Any] = {
            "facility": site.facility.code,
            "status": "complete",
            "local_case_id": f"3DP-{iso[request][:4]}-{serial}",
            "patient_age_years": self._age(system, site.childrens),
        }
        if r() < 0.9:
            rec["patient_sex"] = "female" if system == "breast" else _SEX[int(r() * _N)]
        rec["request_date"] = iso[request]
        ready = request + _TURNAROUND[int(r() * _N)]
        if ready <= _HISTORY_DAYS:
            rec["delivery_date"] = iso[ready]
        modality = _MODALITY[system]
        first, second = modality[int(r() * _N)], modality[int(r() * _N)]
        rec["source_modalities"] = [first, second] if second != first and r() < 0.2 else [first]
        if first in _SLICE and r() < 0.7:
            rec["slice_thickness_mm"] = _SLICE[first][int(r() * len(_SLICE[first]))]
        rec["organ_system"] = system
        rec["indication_text"] = text
        if r() < 0.85:
            rec["indication_icd10"] = list(icds)
        found = scenarios.get(system)
        if found and r() < 0.5:
            rec["appropriateness_scenario"] = found[int(r() * len(found))]
        n_parts = self._digital_model(rec, kind, system, dominant, site)
        rec["prints"] = self._prints(kind, n_parts, site)
        self._procedure(rec, kind, system, ready, n_parts)
        self._effort(rec, kind)
        if rec["procedure_performed"] == "yes" and r() < _ASSESSED:
            self._assessment(rec)
        if r() < _DRAFT_SHARE:  # drafts miss one to three groups of elements
            rec["status"] = "draft"
            for _ in range(1 + int(r() * 3)):
                for key in _DRAFT_DROPS[int(r() * len(_DRAFT_DROPS))]:
                    rec.pop(key, None)
            if "fluoroscopy_guided" not in rec:
                rec.pop("fluoro_time_saved_min", None)
        return rec

    def _age(self, system: str, childrens: bool) -> float | int:
        r = self._rng.random
        if r() < (0.9 if childrens else _PAEDIATRIC[system]):
            if r() < 0.3:  # under two: age in months as a fraction of a year
                return round(int(r() * 24) / 12, 2)
            return 2 + int(r() * 16)
        return _ADULT_AGE[int(r() * _N)]

    def _digital_model(
        self, rec: dict[str, Any], kind: str, system: str, dominant: Part, site: _Site
    ) -> int:
        r = self._rng.random
        model = kind == "anatomic_model"
        rec["object_type"] = kind
        sizing = 0.3 if system in ("cardiac", "vascular") else 0.03
        uses = [c for c, p in _USE_P[kind] if r() < (sizing if c == "device_sizing" else p)]
        rec["intended_uses"] = uses or [_USE_P[kind][0 if model else 1][0]]
        rec["ordering_service"] = _SERVICE[system][int(r() * _N)]
        if not model:
            rec["guide_type"] = _GUIDE_TYPE.get(system, _GUIDE_TYPE_DEFAULT)[int(r() * _N)]
            rec["guide_count"] = _GUIDE_COUNT[int(r() * _N)]
        software = site.segmentation if r() < 0.8 else _SEG_PICK[int(r() * _N)]
        rec["segmentation_tool"] = _SEGMENTATION_CODE[_SEGMENTATION[software][0]]
        if r() < 0.8:
            rec["segmentation_software_fda_cleared"] = _SEGMENTATION[software][1]
        if not model or r() < 0.6:
            rec["cad_tool"] = _CAD[int(r() * _N)]
        n_parts = (_MODEL_PARTS if model else _GUIDE_PARTS)[int(r() * _N)]
        if n_parts:
            extra = _EXTRA[system]
            parts = []
            for number in range(n_parts):
                region, subregion, structure = extra[int(r() * len(extra))] if number else dominant
                part = {"region": region, "subregion": subregion, "structure": structure}
                if r() < 0.15:
                    del part["subregion"]
                u = r()
                if region in _EXTREMITY_OR_BREAST:  # laterality required
                    part["laterality"] = _SIDES[int(u * _N)]
                elif u < 0.55:
                    part["laterality"] = "not_applicable"
                elif u < 0.65:
                    part["laterality"] = "right" if u < 0.6 else "left"
                parts.append(part)
            rec["anatomic_parts"] = parts
        return n_parts

    def _prints(self, kind: str, n_parts: int, site: _Site) -> list[dict[str, Any]]:
        rng = self._rng
        r = rng.random
        model = kind == "anatomic_model"
        n_prints = (_MODEL_PRINTS if model else _GUIDE_PRINTS)[int(r() * _N)]
        groups: list[list[int]] = []
        if model:  # every part goes to exactly one print, and every print holds a part
            n_prints = min(n_prints, n_parts)
            groups = [[k + 1] for k in range(n_prints)]
            for number in range(n_prints + 1, n_parts + 1):
                groups[int(r() * n_prints)].append(number)
        prints = []
        pick = site.printer_pick[kind].pick
        for k in range(n_prints):
            label, materials, multicolor, multimaterial, minutes, cost = pick(rng)
            material, optical = materials[int(r() * len(materials))]
            copies = _COPIES[int(r() * _N)]
            code = _MATERIAL_CODE[material]
            row: dict[str, Any] = {
                "printer": label,
                "material_family": code,
                **({"material_family_other_text": material} if code == "other" else {}),
                "scale_pct": 100 if r() < 0.92 else _SCALES[int(r() * len(_SCALES))],
                "copies": copies,
                "optical": optical,
                "multicolor": r() < multicolor,
                "multimaterial": r() < multimaterial,
                "sterilized": r() < (0.05 if model else 0.9),
            }
            if model:
                row["part_numbers"] = sorted(groups[k])
            elif n_parts and k == 0:
                row["part_numbers"] = list(range(1, n_parts + 1))
            if r() < 0.7:
                row["machine_time_min"] = round(minutes * copies * _LOG06[int(r() * _N)])
            if r() < 0.6:
                row["material_cost_usd"] = round(cost * copies * _LOG07[int(r() * _N)], 2)
            prints.append(row)
        return prints

    def _procedure(
        self, rec: dict[str, Any], kind: str, system: str, ready: int, parts: int
    ) -> None:
        rng = self._rng
        r = rng.random
        performed = _PERFORMED[int(r() * _N)]
        day = ready + int(rng.expovariate(1 / 14))
        if performed == "yes" and day > _HISTORY_DAYS:
            performed = "unknown"  # not done yet
        rec["procedure_performed"] = performed
        if performed == "yes":
            rec["procedure_date"] = self._iso[day]
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
            rec["fluoroscopy_guided"] = r() < _FLUORO[system]
        if r() >= _UNBILLED:
            primary, addon = _BILLING[kind]
            extra = (parts if kind == "anatomic_model" else rec["guide_count"]) - 1
            if r() < _MISCODED:
                extra += -1 if extra and r() < 0.5 else 1
            billed = [{"code": primary, "units": 1}]
            if extra > 0:
                billed.append({"code": addon, "units": extra})
            rec["billed_codes"] = billed

    def _effort(self, rec: dict[str, Any], kind: str) -> None:
        r = self._rng.random
        case = _LOG05[int(r() * _N)]  # one log-normal factor per case, and one per cell
        for key, mean, threshold in _CELLS[kind]:  # at most ~6,000 minutes, far below 59,940
            u = r()
            if u < _UNKNOWN_SHARE:
                rec[key] = "unknown"
            elif u < threshold:
                rec[key] = 0
            else:
                rec[key] = round(mean * case * _LOG06[int(r() * _N)])

    def _assessment(self, rec: dict[str, Any]) -> None:
        r = self._rng.random
        rec["respondent_role"] = _ROLE[int(r() * _N)]
        rec["easy_to_use"] = _LIKERT_HIGH[int(r() * _N)]
        rec["compatible_with_approach"] = _LIKERT_HIGH[int(r() * _N)]
        rec["plan_altered"] = _LIKERT_MID[int(r() * _N)]
        rec["important_for_case"] = _LIKERT_HIGH[int(r() * _N)]
        rec["quality_adequate"] = _LIKERT_HIGH[int(r() * _N)]
        before = _CONF_BEFORE[int(r() * _N)]
        rec["confidence_before"] = before
        rec["confidence_after"] = max(1, min(5, before + _CONF_GAIN[int(r() * _N)]))
        if r() < 0.85:
            rec["time_saved_min"] = _TIME_SAVED[int(r() * _N)]
        if rec["fluoroscopy_guided"] and r() < 0.7:
            rec["fluoro_time_saved_min"] = _FLUORO_SAVED[int(r() * _N)]
        if r() < 0.15:
            rec["assessment_comment"] = _COMMENTS[int(r() * len(_COMMENTS))]
