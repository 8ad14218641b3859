"""Name frequencies for the synthetic population (data only).

Surname weights approximate the relative frequencies of common surnames in England and Wales
(Smith ≈ 1.2% of people); forenames are grouped by birth cohort so a woman born in 1935 is
likely a Margaret or a Joan and a girl born in 2015 an Olivia or an Amelia. Weights are
relative; a long tail of rarer names is drawn uniformly from the same lists.
"""

from __future__ import annotations

__all__ = ["FORENAMES", "MIDDLE_NAMES", "NICKNAMES", "SURNAMES"]

# (surname, weight per 100,000 people)
SURNAMES: tuple[tuple[str, float], ...] = (
    ("Smith", 1200),
    ("Jones", 900),
    ("Williams", 640),
    ("Taylor", 520),
    ("Brown", 500),
    ("Davies", 470),
    ("Evans", 380),
    ("Wilson", 330),
    ("Thomas", 320),
    ("Johnson", 310),
    ("Roberts", 300),
    ("Robinson", 250),
    ("Thompson", 250),
    ("Wright", 240),
    ("Walker", 240),
    ("White", 230),
    ("Edwards", 225),
    ("Hughes", 220),
    ("Green", 215),
    ("Hall", 210),
    ("Lewis", 205),
    ("Harris", 200),
    ("Clarke", 195),
    ("Patel", 195),
    ("Jackson", 190),
    ("Wood", 185),
    ("Turner", 180),
    ("Martin", 175),
    ("Cooper", 170),
    ("Hill", 170),
    ("Ward", 165),
    ("Morris", 165),
    ("Moore", 160),
    ("Clark", 160),
    ("Lee", 155),
    ("King", 155),
    ("Baker", 150),
    ("Harrison", 150),
    ("Morgan", 148),
    ("Allen", 146),
    ("James", 144),
    ("Scott", 142),
    ("Phillips", 140),
    ("Watson", 138),
    ("Davis", 136),
    ("Parker", 134),
    ("Price", 132),
    ("Bennett", 130),
    ("Young", 128),
    ("Griffiths", 126),
    ("Mitchell", 124),
    ("Kelly", 122),
    ("Cook", 120),
    ("Carter", 118),
    ("Richardson", 116),
    ("Bailey", 114),
    ("Collins", 112),
    ("Bell", 110),
    ("Shaw", 108),
    ("Murphy", 106),
    ("Miller", 104),
    ("Cox", 102),
    ("Richards", 100),
    ("Khan", 100),
    ("Marshall", 98),
    ("Anderson", 96),
    ("Simpson", 94),
    ("Ellis", 92),
    ("Adams", 90),
    ("Singh", 90),
    ("Begum", 88),
    ("Wilkinson", 86),
    ("Foster", 84),
    ("Chapman", 82),
    ("Powell", 80),
    ("Webb", 79),
    ("Rogers", 78),
    ("Gray", 77),
    ("Mason", 76),
    ("Ali", 76),
    ("Hunt", 75),
    ("Hussain", 74),
    ("Campbell", 73),
    ("Matthews", 72),
    ("Owen", 71),
    ("Palmer", 70),
    ("Holmes", 69),
    ("Mills", 68),
    ("Barnes", 67),
    ("Knight", 66),
    ("Lloyd", 65),
    ("Butler", 64),
    ("Russell", 63),
    ("Barker", 62),
    ("Fisher", 61),
    ("Stevens", 60),
    ("Jenkins", 59),
    ("Murray", 58),
    ("Dixon", 57),
    ("Harvey", 56),
    ("Graham", 55),
    ("Pearson", 54),
    ("Ahmed", 54),
    ("Fletcher", 53),
    ("Walsh", 52),
    ("Kaur", 52),
    ("Gibson", 51),
    ("Howard", 50),
    ("Andrews", 49),
    ("Stewart", 48),
    ("Elliott", 47),
    ("Reynolds", 46),
    ("Saunders", 45),
    ("Payne", 44),
    ("Fox", 43),
    ("Ford", 42),
    ("Pearce", 41),
    ("Day", 40),
    ("Brooks", 40),
    ("West", 39),
    ("Lawrence", 38),
    ("Cole", 37),
    ("Atkinson", 36),
    ("Bradley", 35),
    ("Spencer", 35),
    ("Gill", 34),
    ("Dawson", 34),
    ("Ball", 33),
    ("Burton", 33),
    ("O'Brien", 32),
    ("Watts", 32),
    ("Rose", 31),
    ("Booth", 31),
    ("Perry", 30),
    ("Ryan", 30),
    ("Grant", 29),
    ("Wells", 29),
    ("Armstrong", 28),
    ("Francis", 28),
    ("Rees", 27),
    ("Hayes", 27),
    ("Hart", 26),
    ("Hudson", 26),
    ("Newman", 25),
    ("Barrett", 25),
    ("Webster", 24),
    ("Hunter", 24),
    ("Gregory", 23),
    ("Carr", 23),
    ("Lowe", 22),
    ("Page", 22),
    ("Marsh", 21),
    ("Riley", 21),
    ("Dunn", 20),
    ("Woods", 20),
    ("Parsons", 19),
    ("Berry", 19),
    ("Stone", 18),
    ("Reid", 18),
    ("Holland", 17),
    ("Hawkins", 17),
    ("Harding", 16),
    ("Porter", 16),
    ("Robertson", 15),
    ("Newton", 15),
    ("Oliver", 15),
    ("Reed", 14),
    ("Kennedy", 14),
    ("Williamson", 14),
    ("Bird", 13),
    ("Gardner", 13),
    ("Shah", 13),
    ("Dean", 12),
    ("Lane", 12),
    ("Cooke", 12),
    ("Bates", 11),
    ("Henderson", 11),
    ("Parry", 11),
    ("Burgess", 10),
    ("Bishop", 10),
    ("Walton", 10),
    ("Burns", 10),
    ("Nicholson", 9),
    ("Shepherd", 9),
    ("Ross", 9),
    ("Cross", 9),
    ("Long", 8),
    ("Freeman", 8),
    ("Warren", 8),
    ("Nicholls", 8),
    ("Hamilton", 8),
    ("Byrne", 7),
    ("Sutton", 7),
    ("McDonald", 7),
    ("Yates", 7),
    ("Hodgson", 7),
    ("Robson", 6),
    ("Curtis", 6),
    ("Hopkins", 6),
    ("O'Connor", 6),
    ("Harper", 6),
    ("Coleman", 6),
    ("Watkins", 5),
    ("Moss", 5),
    ("McCarthy", 5),
    ("Chambers", 5),
    ("O'Neill", 5),
    ("Griffin", 5),
    ("Sharp", 5),
    ("Hardy", 5),
    ("Wheeler", 5),
    ("Potter", 5),
    ("Osborne", 5),
    ("Johnston", 5),
    ("Gordon", 4),
    ("Doyle", 4),
    ("Wallace", 4),
    ("George", 4),
    ("Jordan", 4),
    ("Hutchinson", 4),
    ("Rahman", 4),
    ("Kowalski", 4),
    ("Nowak", 4),
    ("Wiśniewski", 3),
    ("Kowalczyk", 3),
    ("Nguyen", 3),
    ("Chen", 3),
    ("Wang", 3),
    ("Li", 3),
    ("Zhang", 3),
    ("Mohamed", 3),
    ("Abdi", 3),
    ("Okafor", 3),
    ("Mensah", 3),
    ("Adeyemi", 3),
    ("Campbell-Smith", 2),
    ("Fernandes", 3),
    ("Da Silva", 3),
    ("Sharma", 3),
    ("Kumar", 3),
    ("Chowdhury", 3),
    ("Mistry", 3),
    ("Joshi", 3),
    ("Brennan", 3),
    ("Doherty", 3),
    ("Quinn", 3),
    ("Gallagher", 3),
    ("Fitzgerald", 3),
    ("MacKenzie", 2),
    ("Ferguson", 3),
    ("Mackay", 2),
    ("Duffy", 3),
    ("Rowe", 3),
    ("Fowler", 3),
    ("Lamb", 3),
    ("Jennings", 3),
    ("Hale", 2),
    ("Hobbs", 2),
    ("Slater", 2),
    ("Pugh", 2),
    ("Bowen", 2),
    ("Vaughan", 2),
    ("Llewellyn", 2),
    ("Prosser", 2),
    ("Ashworth", 2),
    ("Brookes", 2),
    ("Whitehead", 2),
    ("Sykes", 2),
    ("Briggs", 2),
    ("Ramsden", 2),
    ("Holt", 2),
    ("Pickering", 2),
    ("Tomlinson", 2),
    ("Marriott", 2),
    ("Smith-Jones", 1),
    ("Lloyd-Williams", 1),
    ("Hughes-Davies", 1),
    ("Van der Berg", 1),
)

_OLD_F = (
    "Margaret Mary Joan Patricia Jean Dorothy Elizabeth Barbara Joyce Doris Irene Kathleen "
    "Eileen Betty Sheila Audrey Brenda Valerie Pamela Jean Maureen Sylvia Shirley Vera "
    "Marjorie Edna Gladys Hilda Winifred Ivy Ethel Lilian Florence Evelyn Phyllis Beryl "
    "Iris Rose Ann Anne June Olive Muriel Mabel Annie Alice Grace Violet Elsie Nora Peggy "
    "Norma Rita Constance Freda Marion Mavis Josephine Jessie Catherine Agnes Gwendoline"
)
_OLD_M = (
    "John William George Robert David Peter Kenneth Ronald Thomas James Dennis Roy Brian "
    "Michael Raymond Frederick Arthur Donald Derek Albert Leonard Harold Ernest Stanley "
    "Alan Anthony Walter Eric Frank Charles Norman Gordon Edward Harry Richard Douglas Leslie "
    "Cyril Reginald Sidney Alfred Henry Joseph Herbert Francis Geoffrey Gerald Bernard "
    "Colin Keith Maurice Victor Wilfred Alexander Patrick Samuel Clifford Percy Ralph"
)
_MID_F = (
    "Susan Linda Christine Margaret Carol Janet Patricia Elizabeth Julie Karen Jacqueline "
    "Sandra Gillian Mary Pauline Lesley Anne Elaine Jennifer Barbara Kathleen Denise "
    "Deborah Alison Diane Lynn Wendy Angela Maria Teresa Helen Catherine Sarah Jane Valerie "
    "Beverley Tracey Dawn Amanda Sharon Sheila Frances Judith Hazel Janice Marion Brenda "
    "Kim Joanne Lorraine Ruth Rosemary Caroline Joan Maureen Irene Heather Shirley Yvonne"
)
_MID_M = (
    "David John Michael Peter Robert Stephen Paul Richard Christopher Ian Alan Anthony "
    "Brian Graham Kevin Andrew Keith Martin Colin Philip Trevor Terence Gary Barry Roger "
    "Malcolm Nigel Mark Geoffrey Kenneth Raymond Timothy Neil William James Thomas Patrick "
    "Derek Clive Steven Jeffrey Dennis Edward Gordon Howard Russell Stuart Adrian Simon "
    "Ronald Leslie Francis Jonathan Julian Jeremy Dean Lee Carl Wayne Duncan Vincent"
)
_GENX_F = (
    "Sarah Claire Nicola Emma Lisa Joanne Michelle Helen Samantha Karen Amanda Rachel "
    "Louise Julie Clare Rebecca Sharon Victoria Caroline Laura Kelly Zoe Natalie Donna "
    "Tracey Deborah Elizabeth Catherine Jennifer Katherine Alison Susan Angela Lynsey "
    "Kerry Gemma Hayley Stephanie Kirsty Leanne Charlotte Joanna Suzanne Jane Anna Lucy "
    "Emily Hannah Amy Melanie Tanya Nadia Fatima Shabana Priya Dawn Jacqueline Jodie Kate"
)
_GENX_M = (
    "David Paul Andrew Mark James Richard Stephen Christopher Michael Matthew Daniel "
    "Darren Lee Robert Simon Jason Neil Gary Ian Peter Anthony Craig Steven Martin Stuart "
    "John Thomas Nicholas Jonathan Adam Wayne Dean Carl Scott Philip Kevin Alexander Ben "
    "Benjamin Timothy Jamie Gareth Shaun Graham Russell Mohammed Imran Sanjay Rajesh "
    "Dominic Edward Sean Ryan Liam Ross Alan Colin Barry Kieran Nathan"
)
_MILL_F = (
    "Jessica Emily Sophie Chloe Lauren Hannah Charlotte Amy Rebecca Megan Laura Katie "
    "Emma Bethany Olivia Ellie Georgia Holly Amelia Lucy Grace Abigail Jade Shannon Molly "
    "Eleanor Samantha Stephanie Natasha Jasmine Danielle Leah Alice Zoe Rachel Kirsty "
    "Paige Courtney Aimee Naomi Elizabeth Victoria Jennifer Ruby Isabel Poppy Phoebe "
    "Aisha Ayesha Zara Maryam Amber Caitlin Freya Millie Anna Kate Rosie Eve Niamh"
)
_MILL_M = (
    "Thomas James Jack Daniel Joshua Matthew Ryan Samuel Luke Callum Benjamin Adam "
    "Jordan Liam Lewis Jake Oliver William Alexander Joseph Harry Connor Michael "
    "Christopher Nathan Kieran Charlie Dylan George Jamie Bradley Aaron Ethan Max Alex "
    "Andrew David Robert Scott Sam Tom Ben Owen Reece Kyle Mohammed Muhammad Ahmed Ali "
    "Edward Henry Cameron Jacob Tyler Louis Toby Elliot Rhys Dominic Jonathan Ashley"
)
_GENZ_F = (
    "Olivia Amelia Isla Ava Mia Isabella Sophia Grace Lily Freya Emily Ivy Ella Rosie "
    "Evie Florence Poppy Charlotte Willow Isabelle Daisy Sienna Phoebe Sophie Evelyn "
    "Matilda Harper Elsie Ruby Alice Maya Millie Luna Aria Layla Esme Eliza Thea Hallie "
    "Zara Aisha Maryam Hannah Erin Jessica Ellie Emilia Orla Bonnie Harriet Imogen "
    "Nancy Mila Penelope Eva Lottie Hazel Molly Violet Margot Iris Edie Arabella Clara"
)
_GENZ_M = (
    "Oliver Noah George Arthur Leo Muhammad Harry Oscar Archie Henry Jack Theodore "
    "Freddie Charlie Jacob Thomas Alfie Finley Lucas Theo Alexander William Isaac "
    "Joshua Edward Teddy James Tommy Max Roman Hugo Reggie Louie Arlo Albie Elijah "
    "Ethan Mason Jaxon Ronnie Rory Sonny Logan Harrison Sebastian Albert Ezra Ollie "
    "Jude Frankie Zachary Benjamin Samuel Joseph Adam Daniel Dylan Elliot Toby Ibrahim "
    "Yusuf Ayaan Hunter Caleb Luca Stanley Jenson"
)

# cohort → (first birth year, women, men)
FORENAMES: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...] = (
    (0, tuple(_OLD_F.split()), tuple(_OLD_M.split())),
    (1950, tuple(_MID_F.split()), tuple(_MID_M.split())),
    (1970, tuple(_GENX_F.split()), tuple(_GENX_M.split())),
    (1990, tuple(_MILL_F.split()), tuple(_MILL_M.split())),
    (2010, tuple(_GENZ_F.split()), tuple(_GENZ_M.split())),
)

MIDDLE_NAMES: tuple[tuple[str, ...], tuple[str, ...]] = (
    tuple(
        [
            "Anne",
            "Mary",
            "Louise",
            "Elizabeth",
            "Jane",
            "Rose",
            "Marie",
            "Grace",
            "May",
            "Ann",
            "Catherine",
            "Victoria",
        ]
    ),
    tuple(
        [
            "James",
            "John",
            "William",
            "David",
            "Michael",
            "Thomas",
            "Edward",
            "Paul",
            "Robert",
            "Alexander",
            "Peter",
        ]
    ),
)

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby", "Bert"),
    "William": ("Bill", "Will", "Billy"),
    "Margaret": ("Maggie", "Peggy", "Meg", "Marge"),
    "Elizabeth": ("Liz", "Beth", "Betty", "Lizzie"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cathy", "Kate", "Cath"),
    "Kathleen": ("Kath", "Kathy"),
    "Alexander": ("Alex", "Sandy", "Al"),
    "Christopher": ("Chris", "Kit"),
    "Michael": ("Mike", "Mick", "Mickey"),
    "Richard": ("Rick", "Dick", "Rich", "Richie"),
    "Thomas": ("Tom", "Tommy"),
    "Anthony": ("Tony", "Ant"),
    "Susan": ("Sue", "Susie"),
    "Patricia": ("Pat", "Trish", "Patsy"),
    "Jennifer": ("Jen", "Jenny"),
    "Edward": ("Ed", "Ted", "Eddie", "Ned"),
    "Henry": ("Harry", "Hal"),
    "Joseph": ("Joe", "Joey"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Jonathan": ("Jon", "Jonny"),
    "Nicholas": ("Nick", "Nicky"),
    "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben", "Benny"),
    "Andrew": ("Andy", "Drew"),
    "Stephen": ("Steve", "Steph"),
    "Steven": ("Steve",),
    "Peter": ("Pete",),
    "David": ("Dave", "Davy"),
    "Frederick": ("Fred", "Freddie"),
    "Albert": ("Bert", "Al"),
    "Leonard": ("Len", "Lenny"),
    "Ronald": ("Ron", "Ronnie"),
    "Donald": ("Don", "Donnie"),
    "Kenneth": ("Ken", "Kenny"),
    "Raymond": ("Ray",),
    "Terence": ("Terry",),
    "Gerald": ("Gerry",),
    "Geoffrey": ("Geoff",),
    "Philip": ("Phil",),
    "Timothy": ("Tim", "Timmy"),
    "Lawrence": ("Larry", "Laurie"),
    "Dorothy": ("Dot", "Dottie", "Dolly"),
    "Barbara": ("Barb", "Babs"),
    "Deborah": ("Debbie", "Deb"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky", "Tori"),
    "Samantha": ("Sam", "Sammy"),
    "Jacqueline": ("Jackie",),
    "Christine": ("Chris", "Chrissie"),
    "Pamela": ("Pam",),
    "Josephine": ("Jo", "Josie"),
    "Joanne": ("Jo",),
    "Alexandra": ("Alex", "Sandra"),
    "Florence": ("Flo", "Florrie"),
    "Winifred": ("Winnie",),
    "Gwendoline": ("Gwen",),
    "Abigail": ("Abby", "Abi"),
    "Charlotte": ("Charlie", "Lottie"),
    "Eleanor": ("Ellie", "Nell"),
    "Isabella": ("Bella", "Izzy"),
    "Isabelle": ("Izzy",),
    "Amelia": ("Millie", "Amy"),
    "Nathan": ("Nate",),
    "Zachary": ("Zach",),
    "Theodore": ("Theo", "Ted"),
    "Frances": ("Fran",),
    "Francis": ("Frank",),
    "Harold": ("Harry",),
    "Walter": ("Wally",),
    "Mohammed": ("Mohammad", "Muhammad", "Mohamed"),
    "Muhammad": ("Mohammed", "Mohamed"),
    "Jessica": ("Jess",),
    "Hannah": ("Annie",),
    "Sophie": ("Soph",),
    "Natasha": ("Tash",),
}
