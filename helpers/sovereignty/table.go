package sovereignty

// TableDate is when Table was last reviewed. Ownership changes (an
// acquisition moves a company's seat): the table is Rampart's reading of
// public company information on that date, not a legal opinion; an
// operator who knows better declares the host in
// rampart:sovereignty.endpoints, which takes precedence.
const TableDate = "2026-12-07"

// Row is one Table entry: the endpoint and the basis of its jurisdiction.
type Row struct {
	Endpoint
	// Basis is the company seat the jurisdiction rests on.
	Basis string
	// Uncertain marks a row whose jurisdiction is a judgement (an operator
	// in one country controlled from another); Basis says which.
	Uncertain bool
}

// Table is who runs the endpoints Rampart itself defaults to (image
// registries, chart repositories, ACME directories, the Trivy databases)
// and the common alternatives. A host covers its subdomains; the longest
// match wins.
var Table = []Row{
	// Image registries.
	{Endpoint{"docker.io", "Docker, Inc.", "US"}, "Docker, Inc., Palo Alto, California", false},
	{Endpoint{"quay.io", "Red Hat, Inc. (IBM)", "US"}, "Red Hat, Inc., Raleigh, North Carolina; owned by IBM, Armonk, New York", false},
	{Endpoint{"ghcr.io", "GitHub, Inc. (Microsoft)", "US"}, "GitHub, Inc., San Francisco, California; owned by Microsoft Corp.", false},
	{Endpoint{"registry.k8s.io", "The Linux Foundation (CNCF)", "US"}, "The Linux Foundation, San Francisco, California; served from Google Cloud and AWS", false},
	{Endpoint{"gcr.io", "Google LLC", "US"}, "Google LLC, Mountain View, California (mirror.gcr.io: Trivy's default DB and image registry)", false},
	{Endpoint{"pkg.dev", "Google LLC", "US"}, "Google LLC, Mountain View, California (Artifact Registry)", false},
	{Endpoint{"public.ecr.aws", "Amazon Web Services, Inc.", "US"}, "Amazon Web Services, Inc., Seattle, Washington", false},
	// Chart repositories (GitHub Pages hosts the upstream charts Rampart pins:
	// openbao, aquasecurity, falcosecurity, grafana-community, fluent).
	{Endpoint{"github.io", "GitHub, Inc. (Microsoft)", "US"}, "GitHub, Inc., San Francisco, California (GitHub Pages)", false},
	{Endpoint{"charts.jetstack.io", "Venafi (CyberArk)", "US"}, "Venafi, Inc., Salt Lake City, Utah, acquired by CyberArk (incorporated in Israel, US headquarters in Newton, Massachusetts): listed under Venafi's seat; the repository's hosting operator is not published", true},
	// ACME directories.
	{Endpoint{"letsencrypt.org", "Internet Security Research Group (Let's Encrypt)", "US"}, "ISRG, a California non-profit, San Francisco", false},
	{Endpoint{"pki.goog", "Google Trust Services LLC", "US"}, "Google Trust Services LLC, Mountain View, California", false},
	{Endpoint{"zerossl.com", "ZeroSSL (Stack Holdings GmbH, an Idera company)", "US"}, "run by Stack Holdings GmbH, Vienna (AT), owned by Idera, Inc., Houston, Texas: listed under the US parent, as Rampart's earlier deny-list did", true},
	{Endpoint{"sectigo.com", "Sectigo Ltd.", "US"}, "Sectigo, Roseland, New Jersey", false},
	{Endpoint{"trust-provider.com", "Sectigo Ltd.", "US"}, "Sectigo, Roseland, New Jersey", false},
	{Endpoint{"digicert.com", "DigiCert, Inc.", "US"}, "DigiCert, Inc., Lehi, Utah", false},
	{Endpoint{"ssl.com", "SSL Corp (SSL.com)", "US"}, "SSL Corp, Houston, Texas", false},
	{Endpoint{"godaddy.com", "GoDaddy Inc.", "US"}, "GoDaddy Inc., Tempe, Arizona", false},
	{Endpoint{"starfieldtech.com", "Starfield Technologies (GoDaddy)", "US"}, "GoDaddy Inc., Tempe, Arizona", false},
	{Endpoint{"amazontrust.com", "Amazon Trust Services", "US"}, "Amazon Web Services, Inc., Seattle, Washington", false},
	{Endpoint{"entrust.net", "Entrust Corporation", "US"}, "Entrust Corporation, Shakopee, Minnesota", false},
	{Endpoint{"buypass.com", "Buypass AS", "NO"}, "Buypass AS, Oslo, Norway", false},
	{Endpoint{"harica.gr", "HARICA (Greek Universities Network)", "GR"}, "Hellenic Academic and Research Institutions CA, Greece", false},
	{Endpoint{"actalis.it", "Actalis S.p.A.", "IT"}, "Actalis S.p.A., Italy", false},
	// State backends (pulumi login; judged by `rampart preview`, see
	// Backend): Pulumi Cloud and the public object stores.
	{Endpoint{"api.pulumi.com", "Pulumi Corporation", "US"}, "Pulumi Corporation, Seattle, Washington", false},
	{Endpoint{"amazonaws.com", "Amazon Web Services, Inc.", "US"}, "Amazon Web Services, Inc., Seattle, Washington; a region outside the US is still run by the US company", false},
	{Endpoint{"blob.core.windows.net", "Microsoft Corporation", "US"}, "Microsoft Corporation, Redmond, Washington; a region outside the US is still run by the US company", false},
	{Endpoint{"storage.googleapis.com", "Google LLC", "US"}, "Google LLC, Mountain View, California", false},
}
