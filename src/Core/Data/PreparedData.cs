namespace SegaLearn.Data;

/// <summary>
/// A data set as training sees it: split with the seed, preprocessing fitted on the training rows and applied to
/// both parts. The coordinator and every worker build it the same way, so they hold the same bits.
/// </summary>
public sealed record PreparedData(LabeledData Train, LabeledData Test, Preprocessing Preprocessing)
{
    public static PreparedData Load(string spec, string? labelColumn, ulong seed, double testFraction)
    {
        var split = DataSources.Load(spec, labelColumn, seed, testFraction);
        var preprocessing = Preprocessing.Fit(split.Train.Features);
        return new PreparedData(Apply(split.Train, preprocessing), Apply(split.Test, preprocessing), preprocessing);
    }

    /// <summary>The canonical bytes of the training part (see <see cref="TrainingSetBlob"/>).</summary>
    public byte[] TrainingBlob() => TrainingSetBlob.Encode(Train.Features, Train.Labels, Train.ClassCount);

    private static LabeledData Apply(LabeledData data, Preprocessing preprocessing) =>
        new(preprocessing.Apply(data.Features), data.Labels, data.ClassCount, data.Name, data.ClassNames, data.FeatureNames);
}
