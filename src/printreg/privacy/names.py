"""First and last names for the identifier scanner, from the US Census lists of the ``names`` package.

The ``names`` package ships the 1990 US Census frequency lists (``dist.male.first``,
``dist.female.first``, ``dist.all.last``): 5,494 first names and 88,799 last names. They are read
once, on first use, and only the most common ``LAST_NAMES_KEPT`` last names are kept, which holds
memory to a few megabytes. Words that are ordinary English or clinical words ("will", "may",
"long", "heart") and clinical eponyms or product names ("Fontan", "Mimics") are taken out of both
sets, so "Will Need" or "Glenn Fontan" are not read as a person's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


def _words(text: str) -> frozenset[str]:
    """Return the set of the whitespace-separated words of ``text``."""
    return frozenset(re.findall(r"\S+", text))


#: How many of the most common last names are kept (of 88,799): the first 40,000 are the names
#: of 84 % of the population (the whole list 90 %); the rest are very rare spellings.
LAST_NAMES_KEPT = 40_000
#: Last names common enough to count in an all-lower-case pair ("john smith").
COMMON_LAST_NAMES = 5_000
#: First names common enough to count in an all-lower-case pair (per sex list).
COMMON_FIRST_NAMES = 400

# Clinical eponyms, procedures, classifications, devices and software that are also names in the
# Census lists. A word here is never a name for the scanner.
EPONYMS = _words(
    """
    abbott abernethy adson alagille alfieri amplatzer angelman apert arnold arthrex autodesk
    axial babinski bankart barlow barton bentall berry biomet blalock blount bochdalek bosniak
    broca brock brugada budd burkitt cabrol calot canon cantlie caroli carpentier charcot
    chiari chopart cobb colles couinaud crawford crohn crouzon dandy debakey denis depuy
    dupuytren ebstein edwards eisenmenger evolut ewing fallot fontan formlabs freiberg galeazzi
    galen garland geomagic gerbode gleason glisson globus gorlin graves hangman harmony
    harrington hartmann hashimoto hawkins heartmate herring hilgenreiner hirschsprung hodgkin
    hoffa horos hounsfield ilizarov impella jatene jefferson jobe judet kasai kawasaki
    kawashima kienbock killian kirschner klatskin klein klippel kocher kommerell konno lachman
    latarjet lecompte legg lenke lisfranc loeys lugano luschka madelung maffucci magec
    maisonneuve mallampati marfan materialise meckel medtronic melody meshmixer meyerding
    mimics mirizzi mitraclip modic monro monteggia morgagni morison mustard neer nissen noonan
    norwood nuss nuvasive ollier osirix ozaki paget pancoast perthes pfeiffer philips pipkin
    ponseti potts prusa rastelli rathke ravitch risser romberg roux sano sapien schatzker
    scheuermann senning shenton shone siemens simpleware sjogren slicer sprengel stanford
    steinmann stensen stratasys stryker sylvian synopsys synthes takayasu taussig terarecon
    tessier tillaux todani toshiba trendelenburg turner uhl ultimaker virchow vitrea warthin
    watchman waterston weber wernicke whipple williams willis wilms wirsung wolff yacoub yasui
    zenker zimmer
    """
)

# Eponyms made of two name-like words: the pair is not a person's name.
EPONYM_PAIRS = frozenset(
    tuple(pair.split())
    for pair in re.split(
        r",\s*",
        """
    pierre robin, dandy walker, le fort, arnold chiari, treacher collins, ross konno, bland white,
    white garland, salter harris, kellgren lawrence, smith petersen, watson jones,
    stevens johnson, ann arbor, spetzler martin, hunt hess, young burgess, king moe, nash moe,
    child pugh, gustilo anderson, russell silver, russell taylor, holt oram, prader willi,
    mallory weiss, sinding larsen, mccune albright, gorham stout, essex lopresti,
    cotrel dubousset, parkinson white, charcot marie, marie tooth, guillain barre,
    killian jamieson, williams campbell, williams beuren, smith lemli, smith magenis,
    sturge weber, danis weber, lauge hansen, hill sachs, jaffe lichtenstein, damus kaye,
    kaye stansel, mounier kuhn, swyer james, lown ganong, ganong levine, adams stokes,
    lennox gastaut, beckwith wiedemann, rubinstein taybi, cornelia lange, peutz jeghers,
    crigler najjar, loeys dietz, ehlers danlos, von hippel, hippel lindau, klippel feil,
    klippel trenaunay, osgood schlatter, taussig bing, budd chiari, legg calve, wolff parkinson,
    bishop score, johnson johnson, smith nephew, taylor spatial, christian doppler, grace period,
    may thurner, paget schroetter, stewart treves, kasabach merritt, jackson pratt, swan ganz,
    harris benedict, henry ford, johns hopkins, mary hitchcock, army navy
    """.strip(),
    )
)

# Ordinary English and clinical words that the Census lists also hold as names.
COMMON_WORDS = _words(
    """
    a abdomen about above across act acute add adult after again against age ago ahead aid aim
    air al all almost alone along already also always am amber among an and angel angle another
    any aorta apex apical april arch are area arm around art as ash ask aspen at atrial august
    autumn away axis baby back bad bag bake baker ball band bank bar basal base basin bass bay
    be beam bear bed bee before begin behind being bell below belt bench best better between
    big bilateral bill birch bird bishop black blade blank block blood blue board boat body
    bold bolt bond bone book boot born both bottom bow bowl box boy brain branch brand bread
    break bridge bright broad brook brown brush buck build bull bundle burn bush but buy by
    call calm came camp can canal canyon cap car card cardiac care carotid carry cart case cash
    cast cat cavity cedar cell center chain chair chamber chance change chapel charge chase
    cheek chest chief child chin choice chord church city civil clay clear cliff clip close
    cloud coach coal coast coat coil cold colon come common complex conduit cone cook cool cope
    copper coral core corn corner cost cotton could count court cover crane creek crest cross
    crown crystal cuff cup cusp cut cutting daisy dale dark dash date dawn day dead deal dean
    dear deep delay dell dent dental depth desk dew did die diet dim disc distal do dock does
    dog doll don done door dorsal dot double dove down draft drake drew drop drum dry duck duct
    due duke dural during dusty dye each earl early earnest east easy echo edge egg either
    elder elm else end english entry era even ever every eye face fair faith fall falls far
    farm fascia fast father fee feel femur few fibula field fields fill film fin find fine
    finger fire first fish fisher fit five fix flag flat fleet flesh floor flower fly fold
    follow foot for ford forest fork form fort forward fossa four fox frame frank free french
    fresh friend from front frost fry full gain gale game gap garden gate gay gem general
    german get gift give given glass glen globe go gold golden good grace grade graft grain
    grand grant grass gray great green grey gross ground group grove guard guest guide gun guy
    had hail hair hale half hall ham hand hang happy harbor harbour hard hardy harm has hat
    have haven hay hazel he head health heart heath heather height held help her here hernia
    hero high hill hilum him hip his hold hole holiday holly holy home honey hood hook hope
    horn horse host hour house how hull hunt hunter i ice idle if iliac image implant in inch
    ink inlet inn into iris is island it its ivory ivy jack jade jasmine jay jet job join joint
    joy judge jugular july jump june just keep key kid kind king kiss kite knee knight knot lab
    labrum lace lady lake lamb lamp land lane large last late lateral laurel law lay lead leaf
    lean leg lemon length lesion less let level lie life lift ligament light like lily limb
    lime line link lion lip list little live lobe lock long look lord lot love low luck lumen
    lung made main major make male man mane many map maple march margin mark marsh mason mass
    master match may me meadow mean meat meet memory mercy merry mesa mesh meta middle might
    mild mile mill miller min mine minor miss mitral mix mode model moderate modest monday
    month moon more morning most mother mount mouse mouth move much music must my nail name
    narrow near neck need nerve nest net never new next nice night nine no noble node none noon
    north nose not note nova now number oak odd of off office oil ok old olive on once one only
    open or orange orbit organ other our out outlet over own page pain pair palate palm paper
    park parker part partial pass past patch patella path peace peak pearl pelvis pen penny
    people pepper per person pick piece pike pilot pin pine pink pipe pit place plain plan
    plant plate play plug plum point polar pole pond pool poor pope poppy port portal post
    pouch pound power prairie press price pride prince print prior probe proof pulp pure queen
    quick radial radius rain ram ramus range rank rapid rate raven ray read ready real reason
    red reed renal resin rest rib rich rider ridge right ring rio rise river road rock rod roll
    roof room root rose rough round row royal ruby rule run rush sac safe sage sail saint salt
    same sand sandy savannah say scale scan screw sea seal season see seed self sell send
    senior septal septum service services set seven severe shade shaft shape sharp sheep shell
    shepherd shield ship shore short shot show shunt side sign silk silver simple sing single
    sinus sir six size skin skull sky slate sleeve slice small smart snow so soft soldier some
    son song soon sound south space sparks spear speed spell spine splint spring springs square
    staff stage stamp standard star start state status steel stem stent step stern sternum
    still stock stone stop storm story stout street strong strut such summer summit sun sunday
    suture swan sweet swift table tail take tall tank tape taylor tea team temple ten tender
    tendon than that the then thin third this thorn three through tibia tide tiger time tiny
    tissue to today toe tomb tone tooth top total touch tower town toy trace track trade train
    tree trial true trunk trust try tube tumor tumour turn twin two ulna under union up upon us
    vale valley valve van vast vault vein vena ventral venus very vessel view villa vine violet
    virgin voice volume wade wait walk wall ward warm was wash watch water wave way we weak
    wear weaver web week weight well west wet what wheat wheel when where which white who whole
    why wide width wild will willow win wind window wine wing winter wire wise with within wolf
    wood woods word work world worth would wren wrist yard year yes yet york you young your
    zero
    """
)


@dataclass(frozen=True, slots=True)
class NameSets:
    """Lower-case name sets.

    ``first_any`` and ``last_any`` hold every kept name but the eponyms; ``first`` and ``last``
    also leave out ordinary words; ``common_first`` and ``common_last`` are the most frequent
    names without ordinary words, for text written all in lower case.
    """

    first_any: frozenset[str]
    last_any: frozenset[str]
    first: frozenset[str]
    last: frozenset[str]
    common_first: frozenset[str]
    common_last: frozenset[str]


def _read(filename: str, keep: int) -> list[str]:
    text = resources.files("names").joinpath(filename).read_text(encoding="ascii")
    return [line.split(None, 1)[0].lower() for line in text.splitlines()[:keep] if line.strip()]


@cache
def name_sets() -> NameSets:
    """Return the name sets, read from the ``names`` package on the first call and then reused."""
    male = _read("dist.male.first", 10_000)
    female = _read("dist.female.first", 10_000)
    last = _read("dist.all.last", LAST_NAMES_KEPT)

    def keep(words: list[str], excluded: frozenset[str]) -> frozenset[str]:
        return frozenset(w for w in words if len(w) > 1 and w not in excluded)

    strict = COMMON_WORDS | EPONYMS
    return NameSets(
        first_any=keep(male + female, EPONYMS),
        last_any=keep(last, EPONYMS),
        first=keep(male + female, strict),
        last=keep(last, strict),
        common_first=keep(male[:COMMON_FIRST_NAMES] + female[:COMMON_FIRST_NAMES], strict),
        common_last=keep(last[:COMMON_LAST_NAMES], strict),
    )
