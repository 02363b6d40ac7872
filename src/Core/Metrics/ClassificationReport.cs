namespace SegaLearn.Metrics;

/// <summary>
/// Accuracy, per-class precision, recall and F1, their macro averages, and the confusion matrix
/// (<c>Confusion[truth, predicted]</c>). A class never predicted has precision 0, one never present has recall 0,
/// as scikit-learn reports them with <c>zero_division=0</c>.
/// </summary>
public sealed class ClassificationReport
{
    private ClassificationReport(int[,] confusion, double accuracy, double[] precision, double[] recall, double[] f1)
    {
        Confusion = confusion;
        Accuracy = accuracy;
        Precision = precision;
        Recall = recall;
        F1 = f1;
    }

    public int[,] Confusion { get; }

    public double Accuracy { get; }

    public IReadOnlyList<double> Precision { get; }

    public IReadOnlyList<double> Recall { get; }

    public IReadOnlyList<double> F1 { get; }

    public double MacroPrecision => Precision.Average();

    public double MacroRecall => Recall.Average();

    public double MacroF1 => F1.Average();

    public int ClassCount => Precision.Count;

    public static ClassificationReport Compute(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, int classCount)
    {
        if (truth.Length != predicted.Length)
        {
            throw new ArgumentException($"{truth.Length} labels but {predicted.Length} predictions");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        var confusion = new int[classCount, classCount];
        var correct = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            confusion[truth[i], predicted[i]]++;
            correct += truth[i] == predicted[i] ? 1 : 0;
        }

        var precision = new double[classCount];
        var recall = new double[classCount];
        var f1 = new double[classCount];
        for (var c = 0; c < classCount; c++)
        {
            int predictedAs = 0, actual = 0;
            for (var k = 0; k < classCount; k++)
            {
                predictedAs += confusion[k, c];
                actual += confusion[c, k];
            }

            var hits = confusion[c, c];
            precision[c] = predictedAs == 0 ? 0 : (double)hits / predictedAs;
            recall[c] = actual == 0 ? 0 : (double)hits / actual;
            f1[c] = precision[c] + recall[c] == 0 ? 0 : 2 * precision[c] * recall[c] / (precision[c] + recall[c]);
        }

        return new ClassificationReport(confusion, truth.Length == 0 ? 0 : (double)correct / truth.Length, precision, recall, f1);
    }
}
