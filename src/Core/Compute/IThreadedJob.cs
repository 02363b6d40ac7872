namespace SegaLearn.Compute;

/// <summary>A kernel's whole run, given the helper threads to split it over, or null to run on the calling thread alone.</summary>
internal interface IThreadedJob
{
    void Execute(ComputeWorkers? workers);
}
