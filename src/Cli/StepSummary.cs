using SegaLearn.Coordinator;

namespace SegaLearn.Cli;

/// <summary>The medians of the distributed steps' time split, printed after training, and how many steps the workers reduced among themselves.</summary>
internal sealed class StepSummary
{
    private readonly List<StepMetrics> _steps = [];

    public void Add(StepMetrics metrics) => _steps.Add(metrics);

    public string Describe((int Reassigned, int Rejected) totals)
    {
        if (_steps.Count == 0)
        {
            return "steps: none";
        }

        return FormattableString.Invariant(
            $"steps: {_steps.Count}, median ms: step {Median(m => m.WallMilliseconds):F3} (compute {Median(m => m.ComputeMilliseconds):F3}, transfer+wait {Median(m => m.TransferMilliseconds):F3}, reduce {Median(m => m.ReduceMilliseconds):F3}), optimizer {Median(m => m.OptimizerMilliseconds):F3}; bytes/step {Median(m => m.BytesOut + m.BytesIn):F0}; reassigned {totals.Reassigned}, rejected {totals.Rejected}; peer reduction in {_steps.Count(m => m.PeerReduced)} of them");
    }

    private double Median(Func<StepMetrics, double> value)
    {
        var sorted = _steps.Select(value).Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
