package repo

// Default-deny between segments: ISM-1182.
