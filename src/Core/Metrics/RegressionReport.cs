namespace SegaLearn.Metrics;

/// <summary>
/// How well predicted values match targets, as scikit-learn reports them: <see cref="MeanSquaredError"/>
/// <c>mean(e²)</c> and <see cref="MeanAbsoluteError"/> <c>mean(|e|)</c> over every value (e = prediction - target), and
/// <see cref="R2"/>, per output <c>1 - Σe² / Σ(y - ȳ)²</c> averaged over the outputs (<c>r2_score</c>'s uniform
/// average; an output whose targets are all equal scores 1 when predicted exactly, else 0).
/// </summary>
public sealed record RegressionReport(double MeanSquaredError, double MeanAbsoluteError, double R2)
{
    /// <summary>Compares <paramref name="predicted"/> with <paramref name="truth"/>, both rows × <paramref name="outputs"/>, row-major.</summary>
    public static RegressionReport Compute(ReadOnlySpan<float> truth, ReadOnlySpan<float> predicted, int outputs = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        if (truth.Length != predicted.Length || truth.Length % outputs != 0)
        {
            throw new ArgumentException($"{truth.Length} targets and {predicted.Length} predictions do not make rows of {outputs} output(s)");
        }

        if (truth.IsEmpty)
        {
            throw new ArgumentException("no rows to compare", nameof(truth));
        }

        var rows = truth.Length / outputs;
        double squared = 0, absolute = 0, r2 = 0;
        for (var o = 0; o < outputs; o++)
        {
            double mean = 0;
            for (var i = 0; i < rows; i++)
            {
                mean += truth[i * outputs + o];
            }

            mean /= rows;
            double residual = 0, total = 0;
            for (var i = 0; i < rows; i++)
            {
                double y = truth[i * outputs + o];
                var e = predicted[i * outputs + o] - y;
                residual += e * e;
                absolute += Math.Abs(e);
                total += (y - mean) * (y - mean);
            }

            squared += residual;
            r2 += total > 0 ? 1 - residual / total : residual == 0 ? 1 : 0;
        }

        return new RegressionReport(squared / truth.Length, absolute / truth.Length, r2 / outputs);
    }
}
