"""Attempts at corrupt_excel (spoilers): what students hand in, and the verdict due."""
import zipfile
import zlib
from pathlib import Path

from failurelab.attempts import right, wrong
from sessions.session1.reader import UnreadableSource, check_source

MAGIC = b"PK\x03\x04"
TODO = "re-download or re-export it"


@wrong("checks the extension only: a text file or an error page named .xlsx passes",
       caught_by="not_a_zip_is_named_and_explained")
class ExtensionOnly:
    def check_xlsx(path):
        path = check_source(path)
        if path.suffix.lower() != ".xlsx":
            raise UnreadableSource(f"{path} is not an .xlsx file: wrong extension; {TODO}")
        return path


@wrong("any zip passes: is_zipfile() is true for a zipped CSV or a Word document renamed .xlsx",
       caught_by="zip_that_is_not_a_workbook")
class AnyZipPasses:
    def check_xlsx(path):
        path = check_source(path)
        if not zipfile.is_zipfile(path):
            raise UnreadableSource(f"{path} is not an .xlsx file (not a zip archive); {TODO}")
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, EOFError, zlib.error) as err:
            raise UnreadableSource(f"{path} is a damaged .xlsx ({err}); {TODO}") from err
        if bad:
            raise UnreadableSource(f"{path} is a damaged .xlsx ({bad}); {TODO}")
        return path


@wrong("checks [Content_Types].xml, which every Office document has: a Word file renamed .xlsx passes",
       caught_by="zip_that_is_not_a_workbook")
class ContentTypesOnly:
    def check_xlsx(path):
        path = check_source(path)
        if path.read_bytes()[:4] != MAGIC:
            raise UnreadableSource(f"{path} is not an .xlsx file; {TODO}")
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                names = archive.namelist()
        except (zipfile.BadZipFile, EOFError, zlib.error) as err:
            raise UnreadableSource(f"{path} is a damaged .xlsx ({err}): probably truncated; {TODO}") from err
        if bad:
            raise UnreadableSource(f"{path} is a damaged .xlsx (bad part {bad}); {TODO}")
        if "[Content_Types].xml" not in names:
            raise UnreadableSource(f"{path} is a zip archive but not an Office file (no [Content_Types].xml); {TODO}")
        return path


@wrong("reads the signature but never opens the archive: a workbook cut in half starts with PK too",
       caught_by="truncated_workbook")
class MagicOnly:
    def check_xlsx(path):
        path = check_source(path)
        with open(path, "rb") as f:
            head = f.read(4)
        if head != MAGIC:
            raise UnreadableSource(f"{path} is not an .xlsx file: it starts with {head!r}; {TODO}")
        return path


@wrong("opens the archive and checks its names but never reads the parts: damaged sheet data passes",
       caught_by="damaged_inside")
class NamesOnlyNoTestzip:
    def check_xlsx(path):
        path = check_source(path)
        with open(path, "rb") as f:
            head = f.read(4)
        if head != MAGIC:
            raise UnreadableSource(f"{path} is not an .xlsx file: it starts with {head!r}; {TODO}")
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile as err:
            raise UnreadableSource(f"{path} is a damaged .xlsx ({err}): probably truncated; {TODO}") from err
        if "xl/workbook.xml" not in names:
            raise UnreadableSource(f"{path} is a zip archive but not an .xlsx: no xl/workbook.xml; {TODO}")
        return path


@wrong("calls testzip() but catches BadZipFile only: a damaged deflate stream escapes as a raw zlib.error",
       caught_by="damaged_inside")
class ZlibErrorEscapes:
    def check_xlsx(path):
        path = check_source(path)
        with open(path, "rb") as f:
            head = f.read(4)
        if head != MAGIC:
            raise UnreadableSource(f"{path} is not an .xlsx file: it starts with {head!r}; {TODO}")
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                names = archive.namelist()
        except zipfile.BadZipFile as err:
            raise UnreadableSource(f"{path} is a damaged .xlsx ({err}): probably truncated; {TODO}") from err
        if bad:
            raise UnreadableSource(f"{path} is a damaged .xlsx (part {bad} is corrupt); {TODO}")
        if "xl/workbook.xml" not in names:
            raise UnreadableSource(f"{path} is a zip archive but not an .xlsx: no xl/workbook.xml; {TODO}")
        return path


@wrong("ignores what testzip() returns: it names a bad part instead of raising, so a checksum mismatch passes",
       caught_by="damaged_inside")
class IgnoresTestzipResult:
    def check_xlsx(path):
        path = check_source(path)
        if path.read_bytes()[:4] != MAGIC:
            raise UnreadableSource(f"{path} is not an .xlsx file; {TODO}")
        try:
            with zipfile.ZipFile(path) as archive:
                archive.testzip()
                names = archive.namelist()
        except (zipfile.BadZipFile, EOFError, zlib.error) as err:
            raise UnreadableSource(f"{path} is a damaged .xlsx ({err}): probably truncated; {TODO}") from err
        if "xl/workbook.xml" not in names:
            raise UnreadableSource(f"{path} is a zip archive but not an .xlsx: no xl/workbook.xml; {TODO}")
        return path


@wrong("is_zipfile() as the first check: a truncated workbook is called 'not an .xlsx file', not damaged",
       caught_by="truncated_workbook")
class TruncatedCalledNotXlsx:
    def check_xlsx(path):
        path = check_source(path)
        if not zipfile.is_zipfile(path):
            raise UnreadableSource(f"{path} is not an .xlsx file (no zip archive); {TODO}")
        with zipfile.ZipFile(path) as archive:
            try:
                bad = archive.testzip()
            except (EOFError, zlib.error) as err:
                bad = str(err)
            if bad:
                raise UnreadableSource(f"{path} is a damaged .xlsx ({bad}); {TODO}")
            if "xl/workbook.xml" not in archive.namelist():
                raise UnreadableSource(f"{path} is a zip archive but not an .xlsx: no xl/workbook.xml; {TODO}")
        return path


@wrong("names the file as given, not its absolute path", caught_by="not_a_zip_is_named_and_explained")
class PathAsGiven:
    def check_xlsx(path):
        check_source(path)
        with open(path, "rb") as f:
            head = f.read(4)
        if head != MAGIC:
            raise UnreadableSource(f"{Path(path).name} is not an .xlsx file: it starts with {head!r}; {TODO}")
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                names = archive.namelist()
        except (zipfile.BadZipFile, EOFError, zlib.error) as err:
            raise UnreadableSource(f"{Path(path).name} is a damaged .xlsx ({err}): probably truncated; {TODO}") \
                from err
        if bad or "xl/workbook.xml" not in names:
            raise UnreadableSource(f"{Path(path).name} is damaged or no xl/workbook.xml; {TODO}")
        return Path(path).resolve()


@wrong("opens the file itself without check_source: a missing path raises the bare FileNotFoundError",
       caught_by="missing_file_is_refused")
class NoCheckSource:
    def check_xlsx(path):
        path = Path(path).resolve()
        with open(path, "rb") as f:
            head = f.read(4)
        if head != MAGIC:
            raise UnreadableSource(f"{path} is not an .xlsx file: it starts with {head!r}; {TODO}")
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                names = archive.namelist()
        except (zipfile.BadZipFile, EOFError, zlib.error) as err:
            raise UnreadableSource(f"{path} is a damaged .xlsx ({err}): probably truncated; {TODO}") from err
        if bad:
            raise UnreadableSource(f"{path} is a damaged .xlsx (part {bad}); {TODO}")
        if "xl/workbook.xml" not in names:
            raise UnreadableSource(f"{path} is a zip archive but not an .xlsx: no xl/workbook.xml; {TODO}")
        return path


@wrong("says what is wrong but not what to do about it", caught_by="not_a_zip_is_named_and_explained")
class NoNextStep:
    def check_xlsx(path):
        path = check_source(path)
        with open(path, "rb") as f:
            head = f.read(4)
        if head != MAGIC:
            raise UnreadableSource(f"{path} is not an .xlsx file: it starts with {head!r}")
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                names = archive.namelist()
        except (zipfile.BadZipFile, EOFError, zlib.error) as err:
            raise UnreadableSource(f"{path} is a damaged .xlsx ({err})") from err
        if bad or "xl/workbook.xml" not in names:
            raise UnreadableSource(f"{path} is a damaged .xlsx or no workbook (xl/workbook.xml)")
        return path


@right("reads every part itself (ZipFile.read checks each CRC) and checks the workbook first, other wording")
class ReadsEveryPart:
    def check_xlsx(path):
        path = check_source(path)
        data = path.read_bytes()
        if not data.startswith(MAGIC):
            shown = "nothing (an empty file)" if not data else repr(data[:8])
            raise UnreadableSource(f"{path} is not an .xlsx file: its first bytes are {shown}, an .xlsx starts "
                                   "with PK. Re-export it from Excel, or re-download it")
        try:
            with zipfile.ZipFile(path) as archive:
                if "xl/workbook.xml" not in archive.namelist():
                    raise UnreadableSource(f"{path} is a zip archive without xl/workbook.xml, so no Excel "
                                           "workbook; re-export it as .xlsx")
                for info in archive.infolist():
                    archive.read(info)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as err:
            raise UnreadableSource(f"{path}: the archive is damaged ({type(err).__name__}: {err}); "
                                   "re-download it or re-export it") from err
        return path


@right("zipfile.is_zipfile only after the signature, Content_Types and workbook both required, other wording")
class StricterAboutTheParts:
    def check_xlsx(path):
        path = check_source(path)
        with open(path, "rb") as f:
            head = f.read(len(MAGIC))
        if head != MAGIC:
            raise UnreadableSource(f"{path} is not an .xlsx file ({len(head)} signature bytes {head!r}); "
                                   "re-download or re-export it")
        if not zipfile.is_zipfile(path):
            raise UnreadableSource(f"{path} is a damaged .xlsx: it starts like a zip but its directory is "
                                   "missing (truncated); re-download or re-export it")
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                missing = [p for p in ("[Content_Types].xml", "xl/workbook.xml") if p not in names]
                if missing:
                    raise UnreadableSource(f"{path} is a zip archive but not an .xlsx (missing "
                                           f"{', '.join(missing)}); re-export it")
                bad = archive.testzip()
        except (zipfile.BadZipFile, EOFError, zlib.error) as err:
            raise UnreadableSource(f"{path} is a corrupt .xlsx ({err}); re-download or re-export it") from err
        if bad is not None:
            raise UnreadableSource(f"{path} is a damaged .xlsx: part {bad} fails its CRC check; "
                                   "re-download or re-export it")
        return path


@wrong("lets openpyxl open it (read-only) as the check: the sheet's data is never read, so damage inside passes",
       caught_by="damaged_inside")
class LetsOpenpyxlDecide:
    def check_xlsx(path):
        import openpyxl
        path = check_source(path)
        try:
            openpyxl.load_workbook(path, read_only=True).close()
        except Exception as err:
            what = "is not an .xlsx file" if path.read_bytes()[:4] != MAGIC else "is a damaged .xlsx"
            raise UnreadableSource(f"{path} {what} ({type(err).__name__}: {err}); {TODO}") from err
        return path


@right("is_zipfile-free: one try around ZipFile with its own words ('not a valid Excel file', 'download it again')")
class OtherWording:
    def check_xlsx(path):
        path = check_source(path)
        with path.open("rb") as f:
            signature = f.read(4)
        if signature != MAGIC:
            raise UnreadableSource(f"Cannot use {path}: it is not a valid Excel file (first bytes {signature!r}). "
                                   "Download it again or export it again from Excel.")
        try:
            with zipfile.ZipFile(path) as archive:
                first_bad = archive.testzip()
                has_workbook = "xl/workbook.xml" in archive.namelist()
        except Exception as err:
            raise UnreadableSource(f"Cannot use {path}: the workbook is corrupt ({err}). Download it again.") from err
        if first_bad is not None:
            raise UnreadableSource(f"Cannot use {path}: the workbook is corrupt (part {first_bad}). Download it again.")
        if not has_workbook:
            raise UnreadableSource(f"Cannot use {path}: a zip archive without xl/workbook.xml. Export it again "
                                   "from Excel as .xlsx.")
        return path
