package report

// The subset of NIST OSCAL 1.1.x's assessment-results model that Rampart
// writes (https://pages.nist.gov/OSCAL/reference/1.1.3/assessment-results/json-reference/).
// Required fields carry no omitempty, so a missing value shows as an empty
// string in the output instead of a silently dropped key.

type oscalDocument struct {
	AssessmentResults oscalAssessmentResults `json:"assessment-results"`
}

type oscalAssessmentResults struct {
	UUID       string           `json:"uuid"`
	Metadata   oscalMetadata    `json:"metadata"`
	ImportAP   oscalImportAP    `json:"import-ap"`
	Results    []oscalResult    `json:"results"`
	BackMatter *oscalBackMatter `json:"back-matter,omitempty"`
}

type oscalMetadata struct {
	Title        string      `json:"title"`
	LastModified string      `json:"last-modified"`
	Version      string      `json:"version"`
	OSCALVersion string      `json:"oscal-version"`
	Props        []oscalProp `json:"props,omitempty"`
	Links        []oscalLink `json:"links,omitempty"`
}

type oscalLink struct {
	Href string `json:"href"`
	Rel  string `json:"rel,omitempty"`
	Text string `json:"text,omitempty"`
}

type oscalImportAP struct {
	Href    string `json:"href"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalProp struct {
	Name    string `json:"name"`
	NS      string `json:"ns,omitempty"`
	Value   string `json:"value"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalResult struct {
	UUID             string                 `json:"uuid"`
	Title            string                 `json:"title"`
	Description      string                 `json:"description"`
	Start            string                 `json:"start"`
	End              string                 `json:"end,omitempty"`
	Props            []oscalProp            `json:"props,omitempty"`
	LocalDefinitions *oscalLocalDefinitions `json:"local-definitions,omitempty"`
	ReviewedControls oscalReviewedControls  `json:"reviewed-controls"`
	Observations     []oscalObservation     `json:"observations,omitempty"`
	Findings         []oscalFinding         `json:"findings,omitempty"`
}

type oscalLocalDefinitions struct {
	InventoryItems []oscalInventoryItem `json:"inventory-items,omitempty"`
}

type oscalInventoryItem struct {
	UUID        string      `json:"uuid"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props,omitempty"`
}

type oscalReviewedControls struct {
	ControlSelections []oscalControlSelection `json:"control-selections"`
}

type oscalControlSelection struct {
	Description     string               `json:"description,omitempty"`
	Props           []oscalProp          `json:"props,omitempty"`
	Links           []oscalLink          `json:"links,omitempty"`
	IncludeAll      *struct{}            `json:"include-all,omitempty"`
	IncludeControls []oscalSelectControl `json:"include-controls,omitempty"`
}

type oscalSelectControl struct {
	ControlID string `json:"control-id"`
}

type oscalObservation struct {
	UUID             string                  `json:"uuid"`
	Title            string                  `json:"title,omitempty"`
	Description      string                  `json:"description"`
	Props            []oscalProp             `json:"props,omitempty"`
	Methods          []string                `json:"methods"`
	Subjects         []oscalSubject          `json:"subjects,omitempty"`
	RelevantEvidence []oscalRelevantEvidence `json:"relevant-evidence,omitempty"`
	Collected        string                  `json:"collected"`
	Remarks          string                  `json:"remarks,omitempty"`
}

type oscalSubject struct {
	SubjectUUID string `json:"subject-uuid"`
	Type        string `json:"type"`
	Title       string `json:"title,omitempty"`
}

type oscalRelevantEvidence struct {
	Description string      `json:"description"`
	Props       []oscalProp `json:"props,omitempty"`
	Remarks     string      `json:"remarks,omitempty"`
}

type oscalFinding struct {
	UUID                string                    `json:"uuid"`
	Title               string                    `json:"title"`
	Description         string                    `json:"description"`
	Props               []oscalProp               `json:"props,omitempty"`
	Target              oscalFindingTarget        `json:"target"`
	RelatedObservations []oscalRelatedObservation `json:"related-observations,omitempty"`
	Remarks             string                    `json:"remarks,omitempty"`
}

type oscalFindingTarget struct {
	Type                 string                     `json:"type"`
	TargetID             string                     `json:"target-id"`
	Title                string                     `json:"title,omitempty"`
	Status               oscalTargetStatus          `json:"status"`
	ImplementationStatus *oscalImplementationStatus `json:"implementation-status,omitempty"`
}

// oscalImplementationStatus qualifies a finding's status with how much of
// the control is implemented (OSCAL's states: implemented, partial,
// planned, alternative, not-applicable).
type oscalImplementationStatus struct {
	State   string `json:"state"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalTargetStatus struct {
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalRelatedObservation struct {
	ObservationUUID string `json:"observation-uuid"`
}

type oscalBackMatter struct {
	Resources []oscalResource `json:"resources"`
}

type oscalResource struct {
	UUID        string            `json:"uuid"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Props       []oscalProp       `json:"props,omitempty"`
	DocumentIDs []oscalDocumentID `json:"document-ids,omitempty"`
	RLinks      []oscalRLink      `json:"rlinks,omitempty"`
}

type oscalRLink struct {
	Href      string `json:"href"`
	MediaType string `json:"media-type,omitempty"`
}

type oscalDocumentID struct {
	Scheme     string `json:"scheme,omitempty"`
	Identifier string `json:"identifier"`
}
