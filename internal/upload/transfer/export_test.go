package transfer

// The benchmarks are in package transfer_test, so that they can share the
// bare-PUT baseline of package uploadtest (which imports this package); they
// write their file and lay out its parts as the tests do.
var (
	TestFile = testFile
	BenchOps = benchOps
)
