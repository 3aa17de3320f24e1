"""The tag vocabulary: model classes → plain words people search for, and place rules.

Three tables, all written by hand (see docs/tags.md for the reasoning):

* ``IMAGENET`` — each of the 1000 ImageNet classes → its most specific plain words
  ("Egyptian cat" → "cat", "espresso" → "coffee"). Keys are the class's first name in
  the label file; names that occur twice ("crane", "maillot") are keyed by class index.
  Big contiguous groups (the 118 dog breeds) are ``IMAGENET_RANGES``. A class mapped to
  ``()`` yields no tag on purpose (its name is not a word people search for, or the
  model fires it on unrelated photos).
* ``COCO`` — the 80 COCO detector classes (90-id label map, with gaps) → plain words.
* ``PARENTS`` — a small hand-made hypernym graph over the plain words ("cat" → "animal",
  "pet"; "rifle" → "gun" → "weapon"). An edge means *always* implied: a parent gets at
  least its child's probability. Implications that are only *usually* true ("car" →
  outdoor) are place rules with a weight, not edges.
* ``PLACE_RULES`` — scene words ("outdoor", "street", "kitchen" …) from the words and
  detections present; no scene model exists offline, so these are derived, each with a
  documented weight.

Every key is checked against the label files when the analyser loads (and by the tests),
so a typo fails loudly instead of silently dropping a class.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------------------
# ImageNet (ILSVRC-2012, label order of efficientnet_labels.txt)
# --------------------------------------------------------------------------------------

IMAGENET_RANGES: tuple[tuple[int, int, tuple[str, ...]], ...] = (
    (151, 268, ("dog",)),  # Chihuahua … Mexican hairless; well-known breeds are named below
    (300, 307, ("beetle",)),  # tiger beetle … weevil (ladybug overridden below)
    (321, 326, ("butterfly",)),  # admiral … lycaenid
)

IMAGENET: dict[str | int, tuple[str, ...]] = {
    # fish
    "tench": ("fish",), "goldfish": ("goldfish",), "great white shark": ("shark",), "tiger shark": ("shark",),
    "hammerhead": ("shark",), "electric ray": ("ray",), "stingray": ("ray",), "barracouta": ("fish",),
    "eel": ("eel",), "coho": ("salmon",), "rock beauty": ("fish",), "anemone fish": ("clownfish",),
    "sturgeon": ("fish",), "gar": ("fish",), "lionfish": ("fish",), "puffer": ("pufferfish",),
    # birds
    "cock": ("chicken",), "hen": ("chicken",), "ostrich": ("ostrich",), "brambling": ("bird",),
    "goldfinch": ("bird",), "house finch": ("bird",), "junco": ("bird",), "indigo bunting": ("bird",),
    "robin": ("robin",), "bulbul": ("bird",), "jay": ("bird",), "magpie": ("magpie",), "chickadee": ("bird",),
    "water ouzel": ("bird",), "kite": ("bird of prey",), "bald eagle": ("eagle",), "vulture": ("vulture",),
    "great grey owl": ("owl",), "black grouse": ("bird",), "ptarmigan": ("bird",), "ruffed grouse": ("bird",),
    "prairie chicken": ("bird",), "peacock": ("peacock",), "quail": ("bird",), "partridge": ("bird",),
    "African grey": ("parrot",), "macaw": ("parrot",), "sulphur-crested cockatoo": ("parrot",),
    "lorikeet": ("parrot",), "coucal": ("bird",), "bee eater": ("bird",), "hornbill": ("bird",),
    "hummingbird": ("hummingbird",), "jacamar": ("bird",), "toucan": ("toucan",), "drake": ("duck",),
    "red-breasted merganser": ("duck",), "goose": ("goose",), "black swan": ("swan",),
    "white stork": ("stork",), "black stork": ("stork",), "spoonbill": ("bird",), "flamingo": ("flamingo",),
    "little blue heron": ("heron",), "American egret": ("heron",), "bittern": ("bird",), 134: ("bird",),
    "limpkin": ("bird",), "European gallinule": ("bird",), "American coot": ("bird",), "bustard": ("bird",),
    "ruddy turnstone": ("bird",), "red-backed sandpiper": ("bird",), "redshank": ("bird",),
    "dowitcher": ("bird",), "oystercatcher": ("bird",), "pelican": ("pelican",), "king penguin": ("penguin",),
    "albatross": ("bird",),
    # amphibians, reptiles
    "European fire salamander": ("salamander",), "common newt": ("salamander",), "eft": ("salamander",),
    "spotted salamander": ("salamander",), "axolotl": ("axolotl",), "bullfrog": ("frog",),
    "tree frog": ("frog",), "tailed frog": ("frog",), "loggerhead": ("turtle",),
    "leatherback turtle": ("turtle",), "mud turtle": ("turtle",), "terrapin": ("turtle",),
    "box turtle": ("turtle",), "banded gecko": ("lizard",), "common iguana": ("iguana",),
    "American chameleon": ("lizard",), "whiptail": ("lizard",), "agama": ("lizard",),
    "frilled lizard": ("lizard",), "alligator lizard": ("lizard",), "Gila monster": ("lizard",),
    "green lizard": ("lizard",), "African chameleon": ("chameleon",), "Komodo dragon": ("lizard",),
    "African crocodile": ("crocodile",), "American alligator": ("alligator",), "triceratops": ("dinosaur",),
    "thunder snake": ("snake",), "ringneck snake": ("snake",), "hognose snake": ("snake",),
    "green snake": ("snake",), "king snake": ("snake",), "garter snake": ("snake",), "water snake": ("snake",),
    "vine snake": ("snake",), "night snake": ("snake",), "boa constrictor": ("snake",),
    "rock python": ("snake",), "Indian cobra": ("snake",), "green mamba": ("snake",), "sea snake": ("snake",),
    "horned viper": ("snake",), "diamondback": ("snake",), "sidewinder": ("snake",),
    # invertebrates
    "trilobite": ("fossil",), "harvestman": ("spider",), "scorpion": ("scorpion",),
    "black and gold garden spider": ("spider",), "barn spider": ("spider",), "garden spider": ("spider",),
    "black widow": ("spider",), "tarantula": ("spider",), "wolf spider": ("spider",), "tick": ("tick",),
    "centipede": ("centipede",), "jellyfish": ("jellyfish",), "sea anemone": ("sea anemone",),
    "brain coral": ("coral",), "flatworm": ("worm",), "nematode": ("worm",), "conch": ("seashell",),
    "snail": ("snail",), "slug": ("slug",), "sea slug": ("sea slug",), "chiton": ("seashell",),
    "chambered nautilus": ("seashell",), "Dungeness crab": ("crab",), "rock crab": ("crab",),
    "fiddler crab": ("crab",), "king crab": ("crab",), "American lobster": ("lobster",),
    "spiny lobster": ("lobster",), "crayfish": ("crayfish",), "hermit crab": ("crab",), "isopod": ("bug",),
    "ladybug": ("ladybug",), "fly": ("fly",), "bee": ("bee",), "ant": ("ant",), "grasshopper": ("grasshopper",),
    "cricket": ("cricket",), "walking stick": ("insect",), "cockroach": ("cockroach",), "mantis": ("mantis",),
    "cicada": ("insect",), "leafhopper": ("insect",), "lacewing": ("insect",), "dragonfly": ("dragonfly",),
    "damselfly": ("dragonfly",), "starfish": ("starfish",), "sea urchin": ("sea urchin",),
    "sea cucumber": ("sea creature",),
    # mammals
    "tusker": ("elephant",), "echidna": ("echidna",), "platypus": ("platypus",), "wallaby": ("kangaroo",),
    "koala": ("koala",), "wombat": ("wombat",), "grey whale": ("whale",), "killer whale": ("orca",),
    "dugong": ("sea creature",), "sea lion": ("sea lion",),
    "Chihuahua": ("chihuahua",), "Maltese dog": ("maltese",), "Shih-Tzu": ("shih tzu",), "beagle": ("beagle",),
    "basset": ("basset hound",), "bloodhound": ("bloodhound",), "Yorkshire terrier": ("yorkshire terrier",),
    "golden retriever": ("golden retriever",), "Labrador retriever": ("labrador",), "cocker spaniel": ("spaniel",),
    "Border collie": ("border collie",), "Rottweiler": ("rottweiler",), "German shepherd": ("german shepherd",),
    "Doberman": ("doberman",), "boxer": ("boxer dog",), "French bulldog": ("bulldog",), "Great Dane": ("great dane",),
    "Saint Bernard": ("st bernard",), "Eskimo dog": ("husky",), "Siberian husky": ("husky",),
    "dalmatian": ("dalmatian",), "pug": ("pug",), "Pomeranian": ("pomeranian",), "chow": ("chow chow",),
    "Pembroke": ("corgi",), "Cardigan": ("corgi",), "toy poodle": ("poodle",), "miniature poodle": ("poodle",),
    "standard poodle": ("poodle",), "Samoyed": ("samoyed",),
    "timber wolf": ("wolf",), "white wolf": ("wolf",), "red wolf": ("wolf",), "coyote": ("coyote",),
    "dingo": ("wild dog",), "dhole": ("wild dog",), "African hunting dog": ("wild dog",), "hyena": ("hyena",),
    "red fox": ("fox",), "kit fox": ("fox",), "Arctic fox": ("fox",), "grey fox": ("fox",),
    "tabby": ("cat",), "tiger cat": ("cat",), "Persian cat": ("cat", "persian cat"),
    "Siamese cat": ("cat", "siamese cat"), "Egyptian cat": ("cat",),
    "cougar": ("cougar",), "lynx": ("lynx",), "leopard": ("leopard",), "snow leopard": ("snow leopard",),
    "jaguar": ("jaguar",), "lion": ("lion",), "tiger": ("tiger",), "cheetah": ("cheetah",),
    "brown bear": ("bear",), "American black bear": ("bear",), "ice bear": ("polar bear",),
    "sloth bear": ("bear",), "mongoose": ("mongoose",), "meerkat": ("meerkat",),
    "wood rabbit": ("rabbit",), "hare": ("hare",), "Angora": ("rabbit",), "hamster": ("hamster",),
    "porcupine": ("porcupine",), "fox squirrel": ("squirrel",), "marmot": ("marmot",), "beaver": ("beaver",),
    "guinea pig": ("guinea pig",), "sorrel": ("horse",), "zebra": ("zebra",), "hog": ("pig",),
    "wild boar": ("wild boar",), "warthog": ("warthog",), "hippopotamus": ("hippo",), "ox": ("cow",),
    "water buffalo": ("buffalo",), "bison": ("bison",), "ram": ("sheep",), "bighorn": ("wild sheep",),
    "ibex": ("goat",), "hartebeest": ("antelope",), "impala": ("antelope",), "gazelle": ("antelope",),
    "Arabian camel": ("camel",), "llama": ("llama",), "weasel": ("weasel",), "mink": ("mink",),
    "polecat": ("ferret",), "black-footed ferret": ("ferret",), "otter": ("otter",), "skunk": ("skunk",),
    "badger": ("badger",), "armadillo": ("armadillo",), "three-toed sloth": ("sloth",),
    "orangutan": ("orangutan",), "gorilla": ("gorilla",), "chimpanzee": ("chimpanzee",), "gibbon": ("ape",),
    "siamang": ("ape",), "guenon": ("monkey",), "patas": ("monkey",), "baboon": ("baboon",),
    "macaque": ("monkey",), "langur": ("monkey",), "colobus": ("monkey",), "proboscis monkey": ("monkey",),
    "marmoset": ("monkey",), "capuchin": ("monkey",), "howler monkey": ("monkey",), "titi": ("monkey",),
    "spider monkey": ("monkey",), "squirrel monkey": ("monkey",), "Madagascar cat": ("lemur",),
    "indri": ("lemur",), "Indian elephant": ("elephant",), "African elephant": ("elephant",),
    "lesser panda": ("red panda",), "giant panda": ("panda",),
    # objects (398-999)
    "abacus": ("abacus",), "abaya": ("clothing",), "academic gown": ("gown",), "accordion": ("accordion",),
    "acoustic guitar": ("guitar",), "aircraft carrier": ("ship", "military"), "airliner": ("airplane",),
    "airship": ("airship",), "altar": ("altar",), "ambulance": ("ambulance",), "amphibian": ("vehicle",),
    "analog clock": ("clock",), "apiary": ("beehive",), "apron": ("apron",), "ashcan": ("trash can",),
    "assault rifle": ("rifle",), "backpack": ("backpack",), "bakery": ("bakery",), "balance beam": ("gymnastics",),
    "balloon": ("balloon",), "ballpoint": ("pen",), "Band Aid": ("bandage",), "banjo": ("banjo",),
    "bannister": ("stairs",), "barbell": ("barbell",), "barber chair": ("chair",), "barbershop": ("barbershop",),
    "barn": ("barn",), "barometer": (), "barrel": ("barrel",), "barrow": ("wheelbarrow",),
    "baseball": ("baseball",), "basketball": ("basketball",), "bassinet": ("crib",), "bassoon": ("bassoon",),
    "bathing cap": ("swimming cap",), "bath towel": ("towel",), "bathtub": ("bathtub",),
    "beach wagon": ("car",), "beacon": ("lighthouse",), "beaker": ("laboratory",), "bearskin": ("hat",),
    "beer bottle": ("beer", "bottle"), "beer glass": ("beer", "glass"), "bell cote": ("bell tower",),
    "bib": ("bib",), "bicycle-built-for-two": ("bicycle",), "bikini": ("bikini",), "binder": ("binder",),
    "binoculars": ("binoculars",), "birdhouse": ("birdhouse",), "boathouse": ("boathouse",),
    "bobsled": ("bobsleigh",), "bolo tie": ("tie",), "bonnet": ("hat",), "bookcase": ("bookshelf",),
    "bookshop": ("bookstore",), "bottlecap": ("bottle cap",), "bow": ("bow",), "bow tie": ("bow tie",),
    "brass": ("plaque",), "brassiere": ("bra",), "breakwater": ("jetty",), "breastplate": ("armor",),
    "broom": ("broom",), "bucket": ("bucket",), "buckle": ("buckle",), "bulletproof vest": ("body armor",),
    "bullet train": ("train",), "butcher shop": ("butcher shop",), "cab": ("taxi",), "caldron": ("cauldron",),
    "candle": ("candle",), "cannon": ("cannon",), "canoe": ("canoe",), "can opener": ("can opener",),
    "cardigan": ("sweater",), "car mirror": ("car",), "carousel": ("carousel",), "carpenter's kit": ("tool",),
    "carton": ("box",), "car wheel": ("wheel", "car"), "cash machine": ("atm",), "cassette": ("cassette",),
    "cassette player": ("electronics",), "castle": ("castle",), "catamaran": ("sailboat",),
    "CD player": ("electronics",), "cello": ("cello",), "cellular telephone": ("mobile phone",),
    "chain": ("chain",), "chainlink fence": ("fence",), "chain mail": ("armor",), "chain saw": ("chainsaw",),
    "chest": ("chest",), "chiffonier": ("dresser",), "chime": ("bell",), "china cabinet": ("cabinet",),
    "Christmas stocking": ("christmas",), "church": ("church",), "cinema": ("cinema",),
    "cleaver": ("cleaver",), "cliff dwelling": ("ruins",), "cloak": ("cloak",), "clog": ("shoe",),
    "cocktail shaker": ("cocktail shaker",), "coffee mug": ("mug",), "coffeepot": ("coffee pot",),
    "coil": ("spiral",), "combination lock": ("lock",), "computer keyboard": ("keyboard",),
    "confectionery": ("candy store",), "container ship": ("ship",), "convertible": ("car",),
    "corkscrew": ("corkscrew",), "cornet": ("trumpet",), "cowboy boot": ("boot",), "cowboy hat": ("hat",),
    "cradle": ("crib",), 517: ("crane",), "crash helmet": ("helmet",), "crate": ("crate",), "crib": ("crib",),
    "Crock Pot": ("slow cooker",), "croquet ball": ("ball",), "crutch": ("crutch",), "cuirass": ("armor",),
    "dam": ("dam",), "desk": ("desk",), "desktop computer": ("computer",), "dial telephone": ("telephone",),
    "diaper": ("diaper",), "digital clock": ("clock",), "digital watch": ("watch",),
    "dining table": ("dining table",), "dishrag": ("dishcloth",), "dishwasher": ("dishwasher",),
    "disk brake": ("brake",), "dock": ("harbor",), "dogsled": ("dog sled",), "dome": ("dome",),
    "doormat": ("mat",), "drilling platform": ("oil rig",), "drum": ("drum",), "drumstick": ("drumstick",),
    "dumbbell": ("dumbbell",), "Dutch oven": ("pot",), "electric fan": ("fan",), "electric guitar": ("guitar",),
    "electric locomotive": ("locomotive",), "entertainment center": ("tv stand",), "envelope": ("envelope",),
    "espresso maker": ("coffee machine",), "face powder": ("makeup",), "feather boa": ("feather boa",),
    "file": ("filing cabinet",), "fireboat": ("boat",), "fire engine": ("fire truck",),
    "fire screen": ("fireplace",), "flagpole": ("flag",), "flute": ("flute",), "folding chair": ("chair",),
    "football helmet": ("helmet",), "forklift": ("forklift",), "fountain": ("fountain",),
    "fountain pen": ("pen",), "four-poster": ("bed",), "freight car": ("train",), "French horn": ("horn",),
    "frying pan": ("frying pan",), "fur coat": ("coat",), "garbage truck": ("garbage truck",),
    "gasmask": ("gas mask",), "gas pump": ("gas station",), "goblet": ("glass",), "go-kart": ("go-kart",),
    "golf ball": ("golf ball",), "golfcart": ("golf cart",), "gondola": ("gondola",), "gong": ("gong",),
    "gown": ("dress",), "grand piano": ("piano",), "greenhouse": ("greenhouse",),
    "grille": ("car",), "grocery store": ("grocery store",), "guillotine": ("guillotine",),
    "hair slide": ("hair clip",), "hair spray": ("hair spray",), "half track": ("military vehicle",),
    "hammer": ("hammer",), "hamper": ("basket",), "hand blower": ("hair dryer",),
    "hand-held computer": ("electronics",), "handkerchief": ("handkerchief",), "hard disc": ("hard drive",),
    "harmonica": ("harmonica",), "harp": ("harp",), "harvester": ("harvester",), "hatchet": ("axe",),
    "holster": ("holster",), "home theater": ("home theater",), "honeycomb": ("honeycomb",), "hook": ("hook",),
    "hoopskirt": ("dress",), "horizontal bar": ("gymnastics",), "horse cart": ("horse", "carriage"),
    "hourglass": ("hourglass",), "iPod": ("music player",), "iron": ("iron",),
    "jack-o'-lantern": ("pumpkin", "halloween"), "jean": ("jeans",), "jeep": ("jeep",), "jersey": ("t-shirt",),
    "jigsaw puzzle": ("puzzle",), "jinrikisha": ("rickshaw",), "joystick": ("joystick",),
    "kimono": ("kimono",), "knee pad": (), "knot": ("rope",), "lab coat": ("lab coat",), "ladle": ("ladle",),
    "lampshade": ("lamp",), "laptop": ("laptop",), "lawn mower": ("lawn mower",), "lens cap": (),
    "letter opener": (), "library": ("library",), "lifeboat": ("boat",), "lighter": ("lighter",),
    "limousine": ("limousine",), "liner": ("cruise ship",), "lipstick": ("lipstick",), "Loafer": ("shoe",),
    "lotion": ("cosmetics",), "loudspeaker": ("speaker",), "loupe": ("magnifying glass",),
    "lumbermill": ("sawmill",), "magnetic compass": ("compass",), "mailbag": ("bag",), "mailbox": ("mailbox",),
    638: ("leotard",), 639: ("swimsuit",), "manhole cover": ("manhole cover",), "maraca": ("maracas",),
    "marimba": ("xylophone",), "mask": ("mask",), "matchstick": ("matches",), "maypole": ("maypole",),
    "maze": ("maze",), "measuring cup": ("measuring cup",), "medicine chest": ("cabinet",),
    "megalith": ("megalith",), "microphone": ("microphone",), "microwave": ("microwave",),
    "military uniform": ("uniform",), "milk can": ("milk can",), "minibus": ("minibus",),
    "miniskirt": ("skirt",), "minivan": ("minivan",), "missile": ("missile",), "mitten": ("glove",),
    "mixing bowl": ("bowl",), "mobile home": ("mobile home",), "Model T": ("vintage car",), "modem": ("modem",),
    "monastery": ("monastery",), "monitor": ("monitor",), "moped": ("moped",),
    "mortar": ("mortar and pestle",), "mortarboard": ("graduation", "hat"), "mosque": ("mosque",),
    "mosquito net": ("mosquito net",), "motor scooter": ("scooter",), "mountain bike": ("bicycle",),
    "mountain tent": ("tent",), "mouse": ("computer mouse",), "mousetrap": ("mousetrap",),
    "moving van": ("van",), "muzzle": ("muzzle",), "nail": ("nail",), "neck brace": ("neck brace",),
    "necklace": ("necklace",), "nipple": ("baby bottle",), "notebook": ("laptop",), "obelisk": ("obelisk",),
    "oboe": ("oboe",), "ocarina": ("ocarina",), "odometer": ("dashboard",), "oil filter": (),
    "organ": ("organ",), "oscilloscope": ("oscilloscope",), "overskirt": ("skirt",), "oxcart": ("cart",),
    "oxygen mask": ("mask",), "packet": ("package",), "paddle": ("paddle",), "paddlewheel": ("paddle wheel",),
    "padlock": ("lock",), "paintbrush": ("paintbrush",), "pajama": ("pajamas",), "palace": ("palace",),
    "panpipe": ("pan flute",), "paper towel": ("paper towel",), "parachute": ("parachute",),
    "parallel bars": ("gymnastics",), "park bench": ("bench",), "parking meter": ("parking meter",),
    "passenger car": ("train",), "patio": ("patio",), "pay-phone": ("payphone",), "pedestal": ("pedestal",),
    "pencil box": ("pencil case",), "pencil sharpener": ("pencil sharpener",), "perfume": ("perfume",),
    "Petri dish": ("laboratory",), "photocopier": ("photocopier",), "pick": ("guitar pick",),
    "pickelhaube": ("helmet",), "picket fence": ("fence",), "pickup": ("pickup truck",), "pier": ("pier",),
    "piggy bank": ("piggy bank",), "pill bottle": ("medicine",), "pillow": ("pillow",),
    "ping-pong ball": ("table tennis",), "pinwheel": ("pinwheel",), "pirate": ("ship",), "pitcher": ("jug",),
    "plane": ("hand plane",), "planetarium": ("planetarium",), "plastic bag": ("plastic bag",),
    "plate rack": ("dish rack",), "plow": ("plow",), "plunger": ("plunger",), "Polaroid camera": ("camera",),
    "pole": ("pole",), "police van": ("police car",), "poncho": ("poncho",), "pool table": ("billiards",),
    "pop bottle": ("soda", "bottle"), "pot": ("flowerpot",), "potter's wheel": ("pottery",),
    "power drill": ("drill",), "prayer rug": ("rug",), "printer": ("printer",), "prison": ("prison",),
    "projectile": ("rocket",), "projector": ("projector",), "puck": ("hockey",), "punching bag": ("boxing",),
    "purse": ("handbag",), "quill": ("pen",), "quilt": ("blanket",), "racer": ("race car",),
    "racket": ("racket",), "radiator": ("radiator",), "radio": ("radio",), "radio telescope": ("radio telescope",),
    "rain barrel": ("barrel",), "recreational vehicle": ("camper van",), "reel": ("fishing",),
    "reflex camera": ("camera",), "refrigerator": ("refrigerator",), "remote control": ("remote control",),
    "restaurant": ("restaurant",), "revolver": ("revolver",), "rifle": ("rifle",), "rocking chair": ("chair",),
    "rotisserie": ("rotisserie",), "rubber eraser": ("eraser",), "rugby ball": ("rugby",), "rule": ("ruler",),
    "running shoe": ("sneakers",), "safe": ("safe",), "safety pin": ("safety pin",), "saltshaker": ("salt shaker",),
    "sandal": ("sandals",), "sarong": ("sarong",), "sax": ("saxophone",), "scabbard": ("scabbard", "sword"),
    "scale": ("scale",), "school bus": ("school bus",), "schooner": ("sailboat",), "scoreboard": ("scoreboard",),
    "screen": ("monitor",), "screw": ("screw",), "screwdriver": ("screwdriver",), "seat belt": ("seat belt",),
    "sewing machine": ("sewing machine",), "shield": ("shield",), "shoe shop": ("shoe store",),
    "shoji": ("shoji",), "shopping basket": ("shopping basket",), "shopping cart": ("shopping cart",),
    "shovel": ("shovel",), "shower cap": ("shower cap",), "shower curtain": ("shower curtain",),
    "ski": ("skiing",), "ski mask": ("balaclava",), "sleeping bag": ("sleeping bag",), "slide rule": (),
    "sliding door": ("door",), "slot": ("slot machine",), "snorkel": ("snorkeling",),
    "snowmobile": ("snowmobile",), "snowplow": ("snowplow",), "soap dispenser": ("soap dispenser",),
    "soccer ball": ("soccer ball",), "sock": ("socks",), "solar dish": ("solar panel",), "sombrero": ("hat",),
    "soup bowl": ("soup", "bowl"), "space bar": ("keyboard",), "space heater": ("heater",),
    "space shuttle": ("space shuttle",), "spatula": ("spatula",), "speedboat": ("speedboat",),
    "spider web": ("spider web",), "spindle": (), "sports car": ("sports car",), "spotlight": ("spotlight",),
    "stage": ("stage",), "steam locomotive": ("locomotive",), "steel arch bridge": ("bridge",),
    "steel drum": ("drum",), "stethoscope": ("stethoscope",), "stole": ("scarf",), "stone wall": ("stone wall",),
    "stopwatch": ("stopwatch",), "stove": ("stove",), "strainer": ("strainer",), "streetcar": ("tram",),
    "stretcher": ("stretcher",), "studio couch": ("sofa",), "stupa": ("stupa",), "submarine": ("submarine",),
    "suit": ("suit",), "sundial": ("sundial",), "sunglass": ("sunglasses",), "sunglasses": ("sunglasses",),
    "sunscreen": ("sunscreen",), "suspension bridge": ("bridge",), "swab": ("mop",),
    "sweatshirt": ("sweatshirt",), "swimming trunks": ("swimwear",), "swing": ("swing",),
    "switch": ("light switch",), "syringe": ("syringe",), "table lamp": ("lamp",), "tank": ("tank",),
    "tape player": ("electronics",), "teapot": ("teapot",), "teddy": ("teddy bear",), "television": ("television",),
    "tennis ball": ("tennis",), "thatch": ("roof",), "theater curtain": ("theater",), "thimble": ("thimble",),
    "thresher": ("farm machinery",), "throne": ("throne",), "tile roof": ("roof",), "toaster": ("toaster",),
    "tobacco shop": ("tobacco shop",), "toilet seat": ("toilet",), "torch": ("torch",),
    "totem pole": ("totem pole",), "tow truck": ("tow truck",), "toyshop": ("toy store",),
    "tractor": ("tractor",), "trailer truck": ("truck",), "tray": ("tray",), "trench coat": ("coat",),
    "tricycle": ("tricycle",), "trimaran": ("sailboat",), "tripod": ("tripod",), "triumphal arch": ("arch",),
    "trolleybus": ("bus",), "trombone": ("trombone",), "tub": ("tub",), "turnstile": ("turnstile",),
    "typewriter keyboard": ("typewriter",), "umbrella": ("umbrella",), "unicycle": ("unicycle",),
    "upright": ("piano",), "vacuum": ("vacuum cleaner",), "vase": ("vase",), "vault": ("ceiling",),
    "velvet": ("fabric",), "vending machine": ("vending machine",), "vestment": ("vestment",),
    "viaduct": ("bridge",), "violin": ("violin",), "volleyball": ("volleyball",), "waffle iron": ("waffle iron",),
    "wall clock": ("clock",), "wallet": ("wallet",), "wardrobe": ("wardrobe",), "warplane": ("military aircraft",),
    "washbasin": ("sink",), "washer": ("washing machine",), "water bottle": ("bottle",), "water jug": ("jug",),
    "water tower": ("water tower",), "whiskey jug": ("jug",), "whistle": ("whistle",), "wig": ("wig",),
    "window screen": ("window",), "window shade": ("window",), "Windsor tie": ("tie",),
    "wine bottle": ("wine", "bottle"), "wing": ("airplane",), "wok": ("wok",), "wooden spoon": ("spoon",),
    "wool": ("wool",), "worm fence": ("fence",), "wreck": ("shipwreck",), "yawl": ("sailboat",),
    "yurt": ("yurt",), "web site": ("screenshot",), "comic book": ("comic",), "crossword puzzle": ("crossword",),
    "street sign": ("street sign",), "traffic light": ("traffic light",), "book jacket": ("book",),
    "menu": ("menu",), "plate": ("plate", "meal"), "guacamole": ("guacamole",), "consomme": ("soup",),
    "hot pot": ("hot pot",), "trifle": ("dessert",), "ice cream": ("ice cream",), "ice lolly": ("ice cream",),
    "French loaf": ("bread",), "bagel": ("bagel",), "pretzel": ("pretzel",), "cheeseburger": ("burger",),
    "hotdog": ("hot dog",), "mashed potato": ("mashed potato",), "head cabbage": ("cabbage",),
    "broccoli": ("broccoli",), "cauliflower": ("cauliflower",), "zucchini": ("zucchini",),
    "spaghetti squash": ("squash",), "acorn squash": ("squash",), "butternut squash": ("squash",),
    "cucumber": ("cucumber",), "artichoke": ("artichoke",), "bell pepper": ("bell pepper",),
    "cardoon": ("vegetable",), "mushroom": ("mushroom",), "Granny Smith": ("apple",),
    "strawberry": ("strawberry",), "orange": ("orange",), "lemon": ("lemon",), "fig": ("fig",),
    "pineapple": ("pineapple",), "banana": ("banana",), "jackfruit": ("jackfruit",),
    "custard apple": ("fruit",), "pomegranate": ("pomegranate",), "hay": ("hay",), "carbonara": ("pasta",),
    "chocolate sauce": ("chocolate",), "dough": ("dough",), "meat loaf": ("meat",), "pizza": ("pizza",),
    "potpie": ("pie",), "burrito": ("burrito",), "red wine": ("red wine",), "espresso": ("espresso",),
    "cup": ("cup",), "eggnog": ("drink",),
    # nature, places
    "alp": ("mountain", "snow"), "bubble": ("bubble",), "cliff": ("cliff",), "coral reef": ("coral reef",),
    "geyser": ("geyser",), "lakeside": ("lake",), "promontory": ("coast",), "sandbar": ("beach",),
    "seashore": ("beach", "sea"), "valley": ("valley",), "volcano": ("volcano",),
    # people
    "ballplayer": ("baseball", "person"), "groom": ("person",), "scuba diver": ("scuba diving",),
    # plants, fungi
    "rapeseed": ("field", "flower"), "daisy": ("daisy",), "yellow lady's slipper": ("orchid",), "corn": ("corn",),
    "acorn": ("acorn",), "hip": ("plant",), "buckeye": ("chestnut",), "coral fungus": ("fungus",),
    "agaric": ("mushroom",), "gyromitra": ("mushroom",), "stinkhorn": ("fungus",), "earthstar": ("fungus",),
    "hen-of-the-woods": ("mushroom",), "bolete": ("mushroom",), "ear": ("grain",),
    "toilet tissue": ("toilet paper",),
}

# --------------------------------------------------------------------------------------
# COCO (the SSD detector's 90-id label map; ids 12, 26, 29, 30, 45, 66, 68, 69, 71, 83 unused)
# --------------------------------------------------------------------------------------

COCO_LABELS: dict[int, str] = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train", 8: "truck",
    9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign", 14: "parking meter", 15: "bench",
    16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep", 21: "cow", 22: "elephant", 23: "bear",
    24: "zebra", 25: "giraffe", 27: "backpack", 28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase",
    34: "frisbee", 35: "skis", 36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat",
    40: "baseball glove", 41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle",
    46: "wine glass", 47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza", 60: "donut",
    61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed", 67: "dining table", 70: "toilet",
    72: "tv", 73: "laptop", 74: "mouse", 75: "remote", 76: "keyboard", 77: "cell phone", 78: "microwave",
    79: "oven", 80: "toaster", 81: "sink", 82: "refrigerator", 84: "book", 85: "clock", 86: "vase",
    87: "scissors", 88: "teddy bear", 89: "hair drier", 90: "toothbrush",
}

# COCO class name → plain words; a class not listed here is its own word.
COCO: dict[str, tuple[str, ...]] = {
    "motorcycle": ("motorcycle",), "airplane": ("airplane",), "sports ball": ("ball",), "kite": ("kite",),
    "skis": ("skiing",), "snowboard": ("snowboarding",), "surfboard": ("surfing",), "skateboard": ("skateboard",),
    "tennis racket": ("tennis",), "baseball bat": ("baseball",), "baseball glove": ("baseball",),
    "wine glass": ("wine glass",), "couch": ("sofa",), "potted plant": ("houseplant",), "tv": ("television",),
    "mouse": ("computer mouse",), "remote": ("remote control",), "cell phone": ("mobile phone",),
    "hair drier": ("hair dryer",), "donut": ("doughnut",), "handbag": ("handbag",),
}

# --------------------------------------------------------------------------------------
# Hypernyms over plain words (always-true implications). Closed transitively at load.
# --------------------------------------------------------------------------------------

_ANIMAL = ("animal",)
_WILD = ("animal", "wildlife")
_DOG_BREEDS = ("chihuahua", "maltese", "shih tzu", "beagle", "basset hound", "bloodhound", "yorkshire terrier",
               "golden retriever", "labrador", "spaniel", "border collie", "rottweiler", "german shepherd",
               "doberman", "boxer dog", "bulldog", "great dane", "st bernard", "husky", "dalmatian", "pug",
               "pomeranian", "chow chow", "corgi", "poodle", "samoyed")
_BIRDS = ("chicken", "ostrich", "robin", "magpie", "bird of prey", "peacock", "parrot", "hummingbird", "toucan",
          "duck", "goose", "swan", "stork", "flamingo", "heron", "pelican", "penguin")
_BIG_CATS = ("cougar", "lynx", "leopard", "snow leopard", "jaguar", "lion", "tiger", "cheetah")
_WILD_MAMMALS = ("wolf", "coyote", "wild dog", "hyena", "fox", "bear", "mongoose", "meerkat", "hare", "porcupine",
                 "squirrel", "marmot", "beaver", "zebra", "wild boar", "warthog", "hippo", "buffalo", "bison",
                 "wild sheep", "antelope", "weasel", "mink", "otter", "skunk", "badger", "armadillo", "sloth",
                 "ape", "monkey", "lemur", "elephant", "panda", "red panda", "kangaroo", "koala", "wombat",
                 "echidna", "platypus", "giraffe", "big cat", "whale", "orca", "sea lion", "camel", "llama")
_FISH = ("goldfish", "shark", "ray", "eel", "salmon", "clownfish", "pufferfish")
_REPTILES = ("turtle", "lizard", "iguana", "chameleon", "crocodile", "alligator", "snake", "dinosaur")
_INSECTS = ("beetle", "ladybug", "fly", "bee", "ant", "grasshopper", "cricket", "cockroach", "mantis",
            "dragonfly", "butterfly")
_SEA_LIFE = ("jellyfish", "sea anemone", "coral", "sea slug", "starfish", "sea urchin", "sea creature", "crab",
             "lobster", "crayfish")
_FRUIT = ("orange", "lemon", "apple", "banana", "strawberry", "fig", "pineapple", "jackfruit", "pomegranate")
_VEGETABLES = ("cabbage", "broccoli", "cauliflower", "zucchini", "squash", "cucumber", "artichoke", "bell pepper",
               "corn", "carrot")
_DISHES = ("pizza", "burger", "hot dog", "sandwich", "pasta", "soup", "burrito", "pie", "guacamole", "hot pot",
           "mashed potato", "meat", "meal", "bread", "bagel", "pretzel", "dessert", "dough")
_INSTRUMENTS = ("accordion", "guitar", "banjo", "bassoon", "cello", "trumpet", "drum", "flute", "horn", "gong",
                "piano", "harmonica", "harp", "maracas", "xylophone", "oboe", "ocarina", "organ", "pan flute",
                "saxophone", "trombone", "violin")
_CLOTHING = ("gown", "apron", "hat", "bib", "bikini", "tie", "bow tie", "bra", "sweater", "cloak", "shoe", "boot",
             "coat", "dress", "jeans", "t-shirt", "kimono", "lab coat", "leotard", "swimsuit", "skirt", "glove",
             "pajamas", "poncho", "sandals", "sarong", "sneakers", "balaclava", "socks", "scarf", "suit",
             "sweatshirt", "swimwear", "uniform", "vestment", "feather boa", "swimming cap", "shower cap",
             "body armor")
_FURNITURE = ("chair", "bookshelf", "crib", "chest", "dresser", "cabinet", "desk", "dining table", "bed",
              "filing cabinet", "sofa", "wardrobe", "tv stand", "bench", "throne")
_ELECTRONICS = ("computer", "laptop", "mobile phone", "telephone", "keyboard", "computer mouse", "monitor",
                "television", "camera", "music player", "hard drive", "modem", "printer", "projector", "radio",
                "remote control", "speaker", "home theater", "microphone", "oscilloscope", "joystick",
                "photocopier")
_BUILDINGS = ("church", "mosque", "monastery", "palace", "castle", "barn", "boathouse", "cinema", "dome",
              "greenhouse", "lighthouse", "planetarium", "prison", "stupa", "bell tower", "water tower", "sawmill",
              "ruins", "yurt")
_SHOPS = ("bakery", "barbershop", "bookstore", "butcher shop", "candy store", "grocery store", "shoe store",
          "tobacco shop", "toy store")
_BOATS = ("canoe", "sailboat", "ship", "speedboat", "gondola", "cruise ship")
_CARS = ("taxi", "jeep", "limousine", "minivan", "race car", "sports car", "vintage car", "police car")
_TRUCKS = ("fire truck", "garbage truck", "pickup truck", "tow truck")
_APPLIANCES = ("dishwasher", "microwave", "oven", "refrigerator", "stove", "toaster", "washing machine",
               "slow cooker", "coffee machine", "waffle iron", "vacuum cleaner", "sewing machine")
_SPORTS = ("gymnastics", "baseball", "basketball", "soccer ball", "golf ball", "golf cart", "tennis",
           "table tennis", "volleyball", "rugby", "hockey", "boxing", "skiing", "snowboarding", "surfing",
           "skateboard", "bobsleigh", "barbell", "dumbbell", "scoreboard")


def _each(words: tuple[str, ...], parents: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {word: parents for word in words}


def _graph(*groups: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Union of edge groups: a word listed in several groups gets all their parents."""
    merged: dict[str, tuple[str, ...]] = {}
    for group in groups:
        for word, parents in group.items():
            merged[word] = tuple(dict.fromkeys(merged.get(word, ()) + parents))
    return merged


PARENTS: dict[str, tuple[str, ...]] = _graph(
    # animals
    _each(_DOG_BREEDS, ("dog",)), _each(_BIRDS, ("bird",)), _each(_BIG_CATS, ("big cat",)),
    _each(_WILD_MAMMALS, _WILD), _each(_FISH, ("fish",)), _each(_REPTILES, ("reptile",)),
    _each(_INSECTS, ("insect",)), _each(_SEA_LIFE, _ANIMAL),
    {"dog": ("animal", "pet"), "cat": ("animal", "pet"), "persian cat": ("cat",), "siamese cat": ("cat",),
     "bird": _ANIMAL, "eagle": ("bird of prey",), "owl": ("bird of prey",), "vulture": ("bird of prey",),
     "polar bear": ("bear",), "fish": _ANIMAL, "goldfish": ("pet",), "reptile": _ANIMAL, "amphibian": _ANIMAL,
     "frog": ("amphibian",), "salamander": ("amphibian",), "axolotl": ("amphibian",), "insect": _ANIMAL,
     "spider": _ANIMAL, "scorpion": _ANIMAL, "tick": _ANIMAL, "centipede": _ANIMAL, "worm": _ANIMAL,
     "bug": _ANIMAL, "snail": _ANIMAL, "slug": _ANIMAL, "horse": _ANIMAL, "cow": _ANIMAL, "pig": _ANIMAL,
     "sheep": _ANIMAL, "goat": _ANIMAL, "rabbit": ("animal", "pet"), "hamster": ("animal", "pet"),
     "guinea pig": ("animal", "pet"), "ferret": _ANIMAL, "chimpanzee": ("ape",), "gorilla": ("ape",),
     "orangutan": ("ape",), "baboon": ("monkey",)},
    # food and drink
    _each(_FRUIT, ("fruit",)), _each(_VEGETABLES, ("vegetable",)), _each(_DISHES, ("food",)),
    {"fruit": ("food",), "vegetable": ("food",), "ice cream": ("dessert",), "chocolate": ("food",),
     "doughnut": ("dessert",), "cake": ("dessert",), "mushroom": ("fungus",), "espresso": ("coffee",),
     "coffee": ("drink",), "red wine": ("wine",), "wine": ("drink", "alcohol"), "beer": ("drink", "alcohol"),
     "soda": ("drink",)},
    # objects
    _each(_INSTRUMENTS, ("instrument",)), _each(_CLOTHING, ("clothing",)), _each(_FURNITURE, ("furniture",)),
    _each(_ELECTRONICS, ("electronics",)), _each(_BUILDINGS, ("building",)), _each(_SHOPS, ("shop",)),
    _each(_APPLIANCES, ("appliance",)), _each(_SPORTS, ("sport",)),
    {"instrument": ("music",), "bow tie": ("tie",), "sneakers": ("shoe",), "boot": ("shoe",),
     "sandals": ("shoe",), "bikini": ("swimwear",), "swimsuit": ("swimwear",), "laptop": ("computer",),
     "monitor": ("computer",), "keyboard": ("computer",), "computer mouse": ("computer",),
     "mobile phone": ("phone",), "telephone": ("phone",), "payphone": ("phone",), "cleaver": ("knife",),
     "mug": ("cup",), "golf ball": ("golf", "ball"), "soccer ball": ("soccer", "ball"), "basketball": ("ball",),
     "volleyball": ("ball",), "ball": ("sport",), "baseball": ("sport",), "rugby": ("sport",),
     "tennis": ("sport",), "golf": ("sport",), "soccer": ("sport",), "skiing": ("snow",),
     "snowboarding": ("snow",), "bobsleigh": ("snow",), "snowmobile": ("snow", "vehicle"),
     "snowplow": ("snow", "vehicle"), "dog sled": ("dog", "snow"), "teddy bear": ("toy",), "puzzle": ("toy",),
     "handbag": ("bag",), "backpack": ("bag",), "suitcase": ("luggage",), "theater": ("stage",)},
    # vehicles (land vehicles only: boats and aircraft are not "vehicle" to a searcher)
    _each(_CARS, ("car",)), _each(_TRUCKS, ("truck",)), _each(_BOATS, ("boat",)),
    {"car": ("vehicle",), "truck": ("vehicle",), "bus": ("vehicle",), "school bus": ("bus",),
     "minibus": ("bus",), "van": ("vehicle",), "camper van": ("vehicle",), "ambulance": ("vehicle",),
     "motorcycle": ("vehicle",), "moped": ("motorcycle",), "scooter": ("vehicle",), "bicycle": ("vehicle",),
     "tricycle": ("vehicle",), "train": ("vehicle",), "locomotive": ("train",), "tram": ("vehicle",),
     "tractor": ("vehicle", "farm"), "harvester": ("vehicle", "farm"), "forklift": ("vehicle",),
     "go-kart": ("vehicle",), "rickshaw": ("vehicle",), "mobile home": ("vehicle",), "carriage": ("vehicle",),
     "military vehicle": ("vehicle", "military"), "tank": ("military vehicle",), "airplane": ("aircraft",),
     "military aircraft": ("airplane", "military"), "airship": ("aircraft",), "space shuttle": ("spacecraft",),
     "submarine": ("boat",), "shipwreck": ("ship",)},
    # weapons: the words settings.critical_tags matches
    {"gun": ("weapon",), "rifle": ("gun",), "pistol": ("gun",), "revolver": ("pistol",), "cannon": ("weapon",),
     "missile": ("weapon", "rocket"), "sword": ("weapon",), "bow": ("weapon",), "body armor": ("armor",)},
    # places and nature (scene words; PLACE_RULES add the uncertain ones)
    {"nature": ("outdoor",), "landscape": ("outdoor",), "mountain": ("landscape", "nature"),
     "volcano": ("mountain",), "cliff": ("landscape", "nature"), "valley": ("landscape", "nature"),
     "geyser": ("nature",), "beach": ("coast",), "coast": ("landscape", "water"), "sea": ("water",),
     "lake": ("landscape", "water", "nature"), "coral reef": ("sea", "underwater"),
     "scuba diving": ("underwater", "person"), "underwater": ("water",), "field": ("landscape",),
     "sky": ("outdoor",), "street": ("outdoor",), "park": ("outdoor",), "harbor": ("water",), "pier": ("water",),
     "jetty": ("sea",), "dam": ("water",), "oil rig": ("sea",), "kitchen": ("indoor",), "bathroom": ("indoor",),
     "bedroom": ("indoor",), "living room": ("indoor",), "office": ("indoor",), "library": ("indoor", "book"),
     "restaurant": ("indoor",)},
    # plants
    {"flower": ("plant",), "daisy": ("flower",), "orchid": ("flower",), "houseplant": ("plant",),
     "flowerpot": ("plant",)},
    # people (the detector's person count adds "people", "group photo", "crowd")
    {"people": ("person",), "group photo": ("people",), "crowd": ("people",)},
)


# --------------------------------------------------------------------------------------
# Place rules
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    """Evidence: the merged probability of a word (from either model), times weight."""
    word: str
    weight: float


@dataclass(frozen=True)
class Count:
    """Evidence: at least `n` detections among the COCO classes `classes`.

    Its strength is the n-th highest detection score among them (the probability that
    n objects are there is at most the n-th best score), times weight.
    """
    classes: frozenset[str]
    n: int
    weight: float


def _count(classes: str, n: int, weight: float) -> Count:
    return Count(frozenset(c.strip() for c in classes.split(",")), n, weight)


def _words(words: str, weight: float) -> tuple[Word, ...]:
    return tuple(Word(w.strip(), weight) for w in words.split(","))


# Weights: 1.0 = the evidence names the place; 0.9 = found almost only there; 0.7 =
# usually there; 0.5 = often there. A place's probability is the MAX over its rules
# (not a sum: several weak clues are not independent — they come from the same pixels).
_ROAD_VEHICLES = "car, bus, truck, motorcycle, bicycle"
_STREET_FURNITURE = "traffic light, stop sign, fire hydrant, parking meter"
_KITCHEN_OBJECTS = "oven, microwave, refrigerator, sink, toaster"
_HOME_OBJECTS = "couch, bed, chair, dining table, tv, potted plant, vase, clock, book, remote, laptop"
_DESK_OBJECTS = "laptop, keyboard, mouse, tv, cell phone, book"

PLACE_RULES: dict[str, tuple[Word | Count, ...]] = {
    "street": (
        *_words("traffic light, street sign, parking meter, manhole cover, tram", 0.9),
        *_words("taxi, police car, school bus, bus", 0.5),
        _count(_STREET_FURNITURE, 1, 0.9),
        _count(_ROAD_VEHICLES, 2, 0.8),
    ),
    "outdoor": (
        *_words("castle, barn, lighthouse, bridge, totem pole, obelisk, megalith, arch, stupa, water tower, "
                "roof, mailbox, gas station, maypole, dam, fence, stone wall, ruins, harbor, pier, jetty", 0.9),
        *_words("church, mosque, palace, monastery, dome, fountain, boathouse, bell tower, prison, tent", 0.7),
        *_words("car, bus, truck, train, tram, tractor, harvester, boat, airplane, airship, balloon, parachute, "
                "rocket, kite, surfing, skiing, snowboarding, swing, wildlife, bird of prey", 0.7),
        *_words("bicycle, motorcycle, horse, cow, sheep, bench", 0.5),
        _count(_STREET_FURNITURE, 1, 0.9),
        _count("horse, sheep, cow, elephant, bear, zebra, giraffe, kite, skis, snowboard, surfboard", 1, 0.8),
        _count(_ROAD_VEHICLES + ", train, airplane, boat", 1, 0.7),
    ),
    "indoor": (
        *_words("bed, sofa, toilet, bathtub, refrigerator, stove, dishwasher, microwave, washing machine, "
                "bookshelf, wardrobe, billiards, ceiling, crib, shower curtain, radiator, altar", 0.9),
        *_words("television, computer, desk, lamp, piano, pillow, blanket, stage, dining table, oven, sink, "
                "toilet paper, filing cabinet, photocopier, chair, cabinet, dresser", 0.7),
        _count("bed, couch, toilet, oven, microwave, refrigerator", 1, 0.9),
        _count("tv, laptop, sink, keyboard, mouse", 1, 0.7),
        _count(_HOME_OBJECTS, 2, 0.9),
    ),
    "kitchen": (
        *_words("stove, dishwasher, microwave, refrigerator, toaster, slow cooker, coffee machine", 0.6),
        _count(_KITCHEN_OBJECTS, 2, 0.95),
        _count("oven, microwave, refrigerator", 1, 0.7),
    ),
    "bathroom": (
        *_words("bathtub, toilet, shower curtain", 0.9),
        *_words("sink, toilet paper", 0.6),
        _count("toilet", 1, 0.9),
        _count("sink, toothbrush, hair drier", 2, 0.8),
    ),
    "bedroom": (
        *_words("bed, crib", 0.8),
        *_words("pillow, blanket, wardrobe", 0.5),
        _count("bed", 1, 0.8),
    ),
    "living room": (
        *_words("sofa, tv stand, home theater", 0.7),
        _count("couch", 1, 0.7),
        _count("couch, tv, potted plant, remote, vase, clock, book", 2, 0.8),
    ),
    "office": (
        *_words("filing cabinet, photocopier", 0.8),
        *_words("desk, computer", 0.6),
        _count(_DESK_OBJECTS, 2, 0.8),
    ),
    "restaurant": (
        *_words("menu", 0.6),
    ),
    "shop": (
        *_words("shopping cart, shopping basket, vending machine", 0.5),
    ),
    "beach": (
        *_words("surfing, swimwear", 0.5),
        _count("surfboard", 1, 0.6),
    ),
    "mountain": (
        *_words("valley, cliff, skiing", 0.6),
    ),
    "snow": (
        *_words("polar bear, snow leopard", 0.5),
        _count("skis, snowboard", 1, 0.9),
    ),
    "water": (
        *_words("boat, canoe, paddle, surfing, fountain, swimwear, snorkeling", 0.8),
        *_words("whale, orca, sea lion, duck, swan, goose, boathouse, shipwreck", 0.6),
        _count("boat, surfboard", 1, 0.8),
    ),
    "sky": (
        *_words("airship, parachute, balloon", 0.8),
        *_words("rocket, airplane, kite", 0.6),
        _count("kite", 1, 0.8),
        _count("airplane", 1, 0.5),
    ),
    "park": (
        *_words("swing, bench", 0.5),
        _count("bench, frisbee, kite", 1, 0.5),
    ),
    "farm": (
        *_words("barn, hay, tractor, harvester, plow, farm machinery", 0.7),
        *_words("cow, pig, sheep, chicken", 0.5),
        _count("cow, sheep, horse", 1, 0.5),
    ),
}

# Person counts from the detector: (word, n, min_height): the word gets the n-th best
# "person" score among boxes at least min_height of the image tall. A group photo shows
# its people as subjects, not as passers-by, hence its 1/5 height.
PEOPLE_COUNTS: tuple[tuple[str, int, float], ...] = (("people", 2, 0.0), ("group photo", 3, 0.2),
                                                    ("crowd", 10, 0.0))
