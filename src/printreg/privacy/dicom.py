"""Find and remove identifiers in DICOM headers (PS3.15 Basic Application Level Confidentiality).

Two questions are asked of a header. *Does it identify a person or a place?* — the attributes in
``IDENTIFYING``, any person name (VR PN), and any private attribute holding text; a header that
does is refused unless the registry de-identifies on receipt. *What does the Basic Profile do to
it?* — ``deidentify`` applies the profile's actions to the dataset in memory, before anything is
written or logged. Findings name tags, never values.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydicom.datadict import keyword_for_tag, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag, Tag

# What a de-identified attribute holds when the profile asks for a dummy value ("D"). The
# detector treats exactly this value as clean so that a de-identified header is accepted.
DUMMY_TEXT = "REMOVED"

# Attributes that name, number, date or locate a person, or name or locate a place: a header
# holding any of them (non-empty) is refused by default. All are in the Basic Profile's table.
IDENTIFYING: frozenset[str] = frozenset(
    (
        # the patient
        "PatientName", "PatientID", "PatientBirthDate", "PatientBirthTime", "PatientBirthName",
        "PatientMotherBirthName", "OtherPatientNames", "OtherPatientIDs",
        "OtherPatientIDsSequence", "IssuerOfPatientID", "PatientAddress",
        "PatientTelephoneNumbers", "PatientTelecomInformation", "CountryOfResidence",
        "RegionOfResidence", "MedicalRecordLocator", "MilitaryRank", "BranchOfService",
        "InsurancePlanIdentification", "PatientInsurancePlanCodeSequence", "ResponsiblePerson",
        "ResponsibleOrganization", "ReferencedPatientPhotoSequence",
        "ReferencedPatientAliasSequence", "PatientInstitutionResidence", "CurrentPatientLocation",
        "AdmissionID", "IssuerOfAdmissionID", "IssuerOfAdmissionIDSequence", "ServiceEpisodeID",
        "ClinicalTrialSubjectID", "ClinicalTrialSubjectReadingID", "AccessionNumber",
        # people who cared for the patient
        "ReferringPhysicianName", "ReferringPhysicianAddress",
        "ReferringPhysicianTelephoneNumbers", "ReferringPhysicianIdentificationSequence",
        "ConsultingPhysicianName", "ConsultingPhysicianIdentificationSequence",
        "PerformingPhysicianName", "PerformingPhysicianIdentificationSequence",
        "NameOfPhysiciansReadingStudy", "PhysiciansReadingStudyIdentificationSequence",
        "PhysiciansOfRecord", "PhysiciansOfRecordIdentificationSequence", "OperatorsName",
        "OperatorIdentificationSequence", "RequestingPhysician",
        "ScheduledPerformingPhysicianName", "ScheduledPerformingPhysicianIdentificationSequence",
        "HumanPerformerName", "HumanPerformerOrganization", "ActualHumanPerformersSequence",
        "ScheduledHumanPerformersSequence", "OrderEnteredBy", "OrderCallbackPhoneNumber",
        "OrderCallbackTelecomInformation", "PersonName", "PersonAddress",
        "PersonTelephoneNumbers", "PersonTelecomInformation", "PersonIdentificationCodeSequence",
        "VerifyingObserverName", "VerifyingObserverSequence", "VerifyingOrganization",
        "ReviewerName", "ContentCreatorName", "ROIInterpreter", "NamesOfIntendedRecipientsOfResults",
        "IntendedRecipientsOfResultsIdentificationSequence", "PhysicianApprovingInterpretation",
        "InterpretationAuthor", "InterpretationRecorder", "InterpretationTranscriber",
        "DistributionName", "DistributionAddress", "CameraOwnerName",
        # places
        "InstitutionName", "InstitutionAddress", "InstitutionCodeSequence",
        "InstitutionalDepartmentName", "InstitutionalDepartmentTypeCodeSequence",
        "OrderEntererLocation", "PerformedLocation", "ScheduledStudyLocation",
        "ScheduledProcedureStepLocation", "RequestedProcedureLocation",
        "ScheduledPatientInstitutionResidence", "PerformedStationGeographicLocationCodeSequence",
        "ScheduledStationGeographicLocationCodeSequence", "GPSLatitude", "GPSLongitude",
        "GPSAreaInformation",
    )
)  # fmt: skip

# The Basic Profile's actions, each reduced to one (PS3.15 table E.1-1): where the table offers a
# choice (X/Z, X/D, X/Z/D) the attribute is removed; Z/D becomes empty.
REMOVE: frozenset[str] = frozenset(
    (
        "AcquisitionComments", "AcquisitionProtocolDescription", "ActualHumanPerformersSequence",
        "AdditionalPatientHistory", "AdmissionID", "AdmittingDate", "AdmittingDiagnosesCodeSequence",
        "AdmittingDiagnosesDescription", "AdmittingTime", "Allergies", "Arbitrary",
        "AuthorObserverSequence", "BranchOfService", "CameraOwnerName", "CassetteID",
        "CommentsOnThePerformedProcedureStep", "CommentsOnRadiationDose",
        "ConfidentialityConstraintOnPatientDataDescription",
        "ConsultingPhysicianIdentificationSequence", "ContentCreatorIdentificationCodeSequence",
        "ContrastBolusStartTime", "ContrastBolusStopTime", "CountryOfResidence", "CreationDate",
        "CreationTime", "CurrentPatientLocation", "CurveDate", "CurveTime",
        "CustodialOrganizationSequence", "DataSetTrailingPadding", "DateOfInstallation",
        "DateOfLastCalibration", "DateOfManufacture", "DateOfSecondaryCapture",
        "DateTimeOfLastCalibration", "DerivationDescription", "DeviceDescription",
        "DigitalSignaturesSequence", "DischargeDate", "DischargeDiagnosisDescription",
        "DischargeTime", "DistributionAddress", "DistributionName", "EthnicGroup",
        "FrameComments", "GantryID", "GeneratorID", "GPSLatitude", "GPSLongitude",
        "GPSAreaInformation", "GPSAltitude", "GPSDateStamp", "GPSTimeStamp", "HumanPerformerName",
        "HumanPerformerOrganization", "IconImageSequence", "IdentifyingComments", "ImageComments",
        "ImagePresentationComments", "ImagingServiceRequestComments", "Impressions",
        "InstitutionAddress", "InstitutionalDepartmentName",
        "InstitutionalDepartmentTypeCodeSequence", "InsurancePlanIdentification",
        "IntendedRecipientsOfResultsIdentificationSequence", "InterpretationApproverSequence",
        "InterpretationAuthor", "InterpretationDiagnosisDescription", "InterpretationID",
        "InterpretationIDIssuer", "InterpretationRecorder", "InterpretationText",
        "InterpretationTranscriber", "IssueDateOfImagingServiceRequest",
        "IssueTimeOfImagingServiceRequest", "IssuerOfAdmissionID", "IssuerOfAdmissionIDSequence",
        "IssuerOfPatientID", "IssuerOfServiceEpisodeID", "LastMenstrualDate", "MedicalAlerts",
        "MedicalRecordLocator", "MilitaryRank", "ModifiedAttributesSequence",
        "ModifiedImageDate", "ModifiedImageDescription", "ModifiedImageTime",
        "ModifyingDeviceID", "NameOfPhysiciansReadingStudy", "NamesOfIntendedRecipientsOfResults",
        "NetworkID", "Occupation", "OrderCallbackPhoneNumber", "OrderCallbackTelecomInformation",
        "OrderEnteredBy", "OrderEntererLocation", "OriginalAttributesSequence", "Originator",
        "OtherPatientIDs", "OtherPatientIDsSequence", "OtherPatientNames", "OverlayDate",
        "OverlayTime", "ParticipantSequence", "PatientComments", "PatientState",
        "PatientTransportArrangements", "PatientAddress", "PatientAge", "PatientBirthName",
        "PatientBirthTime", "PatientInstitutionResidence", "PatientInsurancePlanCodeSequence",
        "PatientMotherBirthName", "PatientPrimaryLanguageCodeSequence",
        "PatientPrimaryLanguageModifierCodeSequence", "PatientReligiousPreference", "PatientSize",
        "PatientTelecomInformation", "PatientTelephoneNumbers", "PatientWeight",
        "PerformedLocation", "PerformedProcedureStepDescription", "PerformedProcedureStepEndDate",
        "PerformedProcedureStepEndTime", "PerformedProcedureStepID",
        "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime",
        "PerformedStationAETitle", "PerformedStationGeographicLocationCodeSequence",
        "PerformedStationName", "PerformedStationNameCodeSequence",
        "PerformingPhysicianIdentificationSequence", "PerformingPhysicianName", "PersonAddress",
        "PersonTelecomInformation", "PersonTelephoneNumbers", "PhysicianApprovingInterpretation",
        "PhysiciansReadingStudyIdentificationSequence", "PhysiciansOfRecord",
        "PhysiciansOfRecordIdentificationSequence", "PlateID", "PreMedication", "PregnancyStatus",
        "PresentationCreationDate", "PresentationCreationTime", "ProtocolName",
        "RTPlanDescription", "RTPlanName", "ReasonForStudy", "ReasonForVisit",
        "ReasonForVisitCodeSequence", "ReasonForTheImagingServiceRequest",
        "ReasonForTheRequestedProcedure", "ReasonForRequestedProcedureCodeSequence",
        "ReferencedDigitalSignatureSequence", "ReferencedPatientAliasSequence",
        "ReferencedPatientPhotoSequence", "ReferencedPatientSequence",
        "ReferencedSOPInstanceMACSequence", "ReferringPhysicianAddress",
        "ReferringPhysicianIdentificationSequence", "ReferringPhysicianTelephoneNumbers",
        "RegionOfResidence", "RequestAttributesSequence", "RequestedContrastAgent",
        "RequestedProcedureComments", "RequestedProcedureDescription", "RequestedProcedureID",
        "RequestedProcedureLocation", "RequestingPhysician", "RequestingService",
        "ResponsibleOrganization", "ResponsiblePerson", "ResultsComments",
        "ResultsDistributionListSequence", "ResultsID", "ResultsIDIssuer", "RetrieveAETitle",
        "ReviewerName", "ScheduledAdmissionDate", "ScheduledAdmissionTime",
        "ScheduledDischargeDate", "ScheduledDischargeTime", "ScheduledHumanPerformersSequence",
        "ScheduledPatientInstitutionResidence",
        "ScheduledPerformingPhysicianIdentificationSequence", "ScheduledPerformingPhysicianName",
        "ScheduledProcedureStepDescription", "ScheduledProcedureStepEndDate",
        "ScheduledProcedureStepEndTime", "ScheduledProcedureStepID",
        "ScheduledProcedureStepLocation", "ScheduledProcedureStepStartDate",
        "ScheduledProcedureStepStartTime", "ScheduledStationAETitle",
        "ScheduledStationGeographicLocationCodeSequence", "ScheduledStationName",
        "ScheduledStationNameCodeSequence", "ScheduledStudyLocation",
        "ScheduledStudyLocationAETitle", "ScheduledStudyStartDate", "ScheduledStudyStartTime",
        "ScheduledStudyStopDate", "ScheduledStudyStopTime", "SeriesDescription",
        "ServiceEpisodeDescription", "ServiceEpisodeID", "SmokingStatus", "SpecialNeeds",
        "SpecimenAccessionNumber", "SpecimenDetailedDescription", "SpecimenShortDescription",
        "StationAETitle", "StructureSetDescription", "StructureSetName", "StudyArrivalDate",
        "StudyArrivalTime", "StudyComments", "StudyCompletionDate", "StudyCompletionTime",
        "StudyDescription", "StudyIDIssuer", "StudyReadDate", "StudyReadTime",
        "StudyVerifiedDate", "StudyVerifiedTime", "TextComments", "TextString",
        "TimeOfLastCalibration", "TimeOfSecondaryCapture", "TimezoneOffsetFromUTC",
        "TopicAuthor", "TopicKeywords", "TopicSubject", "TopicTitle",
        "TransducerIdentificationSequence", "TreatmentSites", "UDISequence",
        "UniqueDeviceIdentifier", "VisitComments", "AcquisitionContextSequence",
        "AcquisitionDate", "AcquisitionTime", "AcquisitionDateTime", "BarcodeValue", "LabelText",
        "PatientSexNeutered", "ReferencedStudySequence", "TreatmentMachineName",
        "SourceSerialNumber", "AcquisitionDeviceProcessingDescription",
        "DateOfLastDetectorCalibration", "TimeOfLastDetectorCalibration", "DetectorID",
        "InstanceCreationDate", "InstanceCreationTime", "ObservationDateTime",
        "OperatorIdentificationSequence", "OperatorsName", "SeriesDate", "SeriesTime",
        "DeviceSerialNumber", "InstitutionCodeSequence", "InstitutionName",
        "ReferencedPerformedProcedureStepSequence", "StationName", "ReferencedImageSequence",
        "SourceImageSequence", "ContentSequence", "PersonIdentificationCodeSequence",
        "VerifyingObserverSequence", "GraphicAnnotationSequence", "EncapsulatedDocument",
        "HL7DocumentEffectiveTime", "ExpectedCompletionDateTime", "StartAcquisitionDateTime",
        "EndAcquisitionDateTime", "RadiopharmaceuticalStartTime", "RadiopharmaceuticalStopTime",
        "RadiopharmaceuticalStartDateTime", "RadiopharmaceuticalStopDateTime",
        "InterventionDrugStartTime", "InterventionDrugStopTime", "CertifiedTimestamp",
    )
)  # fmt: skip

EMPTY: frozenset[str] = frozenset(
    (
        "AccessionNumber", "PatientName", "PatientID", "PatientBirthDate", "PatientSex",
        "ReferringPhysicianName", "StudyDate", "StudyTime", "StudyID", "ConsultingPhysicianName",
        "ContentCreatorName", "ContentDate", "ContentTime", "ContrastBolusAgent",
        "FillerOrderNumberImagingServiceRequest", "PlacerOrderNumberImagingServiceRequest",
        "ClinicalTrialCoordinatingCenterName", "ClinicalTrialProtocolName",
        "ClinicalTrialSiteID", "ClinicalTrialSiteName", "ClinicalTrialTimePointID",
        "ROIInterpreter", "ROIName", "ReviewDate", "ReviewTime", "StructureSetDate",
        "StructureSetTime", "VerifyingObserverIdentificationCodeSequence",
        "SpecimenPreparationSequence", "CalibrationDateTime", "ParticipationDateTime",
        "InstructionPerformedDateTime",
    )
)  # fmt: skip

DUMMY: frozenset[str] = frozenset(
    (
        "PersonName", "VerifyingObserverName", "VerifyingOrganization",
        "ClinicalTrialSponsorName", "ClinicalTrialProtocolID", "ClinicalTrialSubjectID",
        "ClinicalTrialSubjectReadingID", "ClinicalTrialProtocolEthicsCommitteeName",
        "ContainerIdentifier", "SpecimenIdentifier", "Date", "DateTime", "Time",
        "ReferencedDateTime", "VerificationDateTime", "DeviceLabel", "StructureSetLabel",
        "RTPlanLabel", "XRayDetectorID", "XRaySourceID", "FrameAcquisitionDateTime",
        "FrameReferenceDateTime", "DecayCorrectionDateTime", "DigitalSignatureDateTime",
        "AttributeModificationDateTime", "ModifyingSystem", "ReasonForTheAttributeModification",
        "DestinationAE", "ContextGroupVersion", "ContextGroupLocalVersion",
    )
)  # fmt: skip

NEW_UID: frozenset[str] = frozenset(
    (
        "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "MediaStorageSOPInstanceUID",
        "FrameOfReferenceUID", "SynchronizationFrameOfReferenceUID", "ReferencedSOPInstanceUID",
        "ReferencedSOPInstanceUIDInFile", "ReferencedFrameOfReferenceUID",
        "RelatedFrameOfReferenceUID", "InstanceCreatorUID", "IrradiationEventUID",
        "ConcatenationUID", "DimensionOrganizationUID", "DeviceUID", "DoseReferenceUID",
        "FiducialUID", "StorageMediaFileSetUID", "TransactionUID", "TargetUID", "UID",
        "ObservationUID", "PaletteColorLookupTableUID", "LargePaletteColorLookupTableUID",
        "TemplateExtensionOrganizationUID", "TemplateExtensionCreatorUID", "SpecimenUID",
        "FailedSOPInstanceUIDList", "ReferencedGeneralPurposeScheduledProcedureStepTransactionUID",
        "MultiplexGroupUID", "AcquisitionUID", "PyramidUID", "SourceFrameOfReferenceUID",
        "DigitalSignatureUID", "TreatmentSessionUID", "PatientSetupUID",
        "ReferencedDoseReferenceUID", "TrackingUID",
    )
)  # fmt: skip

# Value representations of private attributes that may carry a name, a date or free text.
PRIVATE_TEXT_VRS = frozenset(
    ("AE", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UR", "UT", "UN")
)

_DUMMY_BY_VR = {"DA": "19000101", "TM": "000000", "DT": "19000101000000", "AS": "000Y"}
_NUMERIC_VRS = frozenset(("DS", "IS", "FL", "FD", "SL", "SS", "UL", "US", "SV", "UV"))


def _tags(keywords: Iterable[str]) -> frozenset[BaseTag]:
    found = (tag_for_keyword(k) for k in keywords)
    return frozenset(Tag(t) for t in found if t is not None)


_IDENTIFYING_TAGS = _tags(IDENTIFYING)
_ACTIONS: dict[BaseTag, str] = {
    **dict.fromkeys(_tags(REMOVE), "remove"),
    **dict.fromkeys(_tags(EMPTY - REMOVE), "empty"),
    **dict.fromkeys(_tags(DUMMY - REMOVE - EMPTY), "dummy"),
    **dict.fromkeys(_tags(NEW_UID), "uid"),
}


@dataclass(frozen=True, slots=True, order=True)
class DicomFinding:
    """One attribute that identifies a person or a place: its tag and keyword, never its value."""

    tag: str
    keyword: str

    @property
    def label(self) -> str:
        """Return the keyword, or "private (gggg,eeee)" for a private attribute."""
        return self.keyword or f"private {self.tag}"


def _tag_text(tag: BaseTag) -> str:
    return f"({tag.group:04X},{tag.element:04X})"


def _finding(tag: BaseTag) -> DicomFinding:
    return DicomFinding(_tag_text(tag), "" if tag.is_private else (keyword_for_tag(tag) or ""))


def _is_empty(elem: DataElement) -> bool:
    value = elem.value
    if value is None:
        return True
    if elem.VR == "SQ":
        return len(value) == 0
    if isinstance(value, bytes | bytearray):
        return not value.strip(b"\x00 ")
    text = "\\".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
    return text.strip(" ^=\\\x00") in ("", DUMMY_TEXT)


def _is_curve_or_overlay_text(tag: BaseTag) -> bool:
    group = tag.group
    if 0x5000 <= group <= 0x50FF and group % 2 == 0:
        return True
    return 0x6000 <= group <= 0x60FF and group % 2 == 0 and tag.element in (0x3000, 0x4000)


def _walk(ds: Dataset) -> Iterator[DataElement]:
    for elem in ds:
        yield elem
        if elem.VR == "SQ" and elem.value:
            for item in elem.value:
                yield from _walk(item)


def find_identifiers(ds: Dataset) -> list[DicomFinding]:
    """Return the attributes of ``ds`` (nested ones too) that identify someone; [] if none.

    An attribute counts when it holds a value and is in ``IDENTIFYING``, has VR PN, or is a
    private attribute (other than a private creator) with a text VR. Sorted, without repeats.
    """
    found: set[DicomFinding] = set()
    for elem in _walk(ds):
        tag = elem.tag
        if tag.is_private:
            if tag.is_private_creator or elem.VR not in PRIVATE_TEXT_VRS:
                continue
        elif tag not in _IDENTIFYING_TAGS and elem.VR != "PN":
            continue
        if not _is_empty(elem):
            found.add(_finding(tag))
    return sorted(found)


def describe(findings: Iterable[DicomFinding], limit: int = 12) -> str:
    """Return the findings as "PatientName, PatientID, private (0009,1001), …" for a message."""
    labels = sorted({f.label for f in findings}, key=lambda s: (s.startswith("private"), s))
    shown = ", ".join(labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def new_uid(uid: str, salt: bytes) -> str:
    """Return the UID that replaces ``uid``: the same for the same salt, unrelated without it."""
    digest = hmac.new(salt, uid.encode("ascii", "replace"), hashlib.sha256).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def _dummy(elem: DataElement) -> object:
    if elem.VR in _DUMMY_BY_VR:
        return _DUMMY_BY_VR[elem.VR]
    if elem.VR in _NUMERIC_VRS:
        return 0
    return DUMMY_TEXT


def _replace_uid(elem: DataElement, salt: bytes) -> None:
    value = elem.value
    if isinstance(value, list | tuple):
        elem.value = [new_uid(str(v), salt) for v in value]
    elif value:
        elem.value = new_uid(str(value), salt)


def _apply(ds: Dataset, salt: bytes, changed: set[DicomFinding]) -> None:
    for elem in list(ds):
        tag = elem.tag
        if tag.is_private or _is_curve_or_overlay_text(tag):
            action = "remove"
        elif elem.VR == "PN" and tag not in _ACTIONS:
            # A person's name the table does not list is still a person's name.
            action = "empty"
        else:
            action = _ACTIONS.get(tag, "keep")
        if action == "dummy" and elem.VR in ("SQ", "OB", "OW", "UN"):
            action = "remove"
        if action != "keep" and not _is_empty(elem):
            changed.add(_finding(tag))
        if action == "remove":
            del ds[tag]
        elif action == "empty":
            elem.value = Sequence() if elem.VR == "SQ" else None
        elif action == "dummy":
            elem.value = _dummy(elem)
        elif action == "uid":
            _replace_uid(elem, salt)
        elif elem.VR == "SQ" and elem.value:
            for item in elem.value:
                _apply(item, salt, changed)


def deidentify(ds: Dataset, *, uid_salt: bytes) -> list[DicomFinding]:
    """Apply the Basic Profile to ``ds`` in place; return the attributes changed (sorted).

    Identifying attributes are removed or emptied, private attributes, curves and overlay data
    removed, UIDs replaced by salted ones (so a series stays a series), and the header says it was
    de-identified. Pixel data is not examined: burned-in text is not this function's business,
    because printreg reads headers only.
    """
    if not uid_salt:
        raise ValueError("a non-empty salt is needed to replace UIDs")
    changed: set[DicomFinding] = set()
    _apply(ds, uid_salt, changed)
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        if "MediaStorageSOPInstanceUID" in meta:
            _replace_uid(meta["MediaStorageSOPInstanceUID"], uid_salt)
        # The sending station's AE title names a device at a site.
        if "SourceApplicationEntityTitle" in meta:
            del meta.SourceApplicationEntityTitle
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "DICOM PS3.15 Basic Application Level Confidentiality Profile"
    code = Dataset()
    code.CodeValue = "113100"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Basic Application Confidentiality Profile"
    ds.DeidentificationMethodCodeSequence = Sequence([code])
    ds.LongitudinalTemporalInformationModified = "REMOVED"
    return sorted(changed)
