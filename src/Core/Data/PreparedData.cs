namespace SegaLearn.Data;

/// <summary>
/// A data set as training sees it: split with the seed (a test part, and a validation part of the training rows when
/// asked for), preprocessing fitted on the rows that are trained on and applied to every part. The coordinator and
/// every worker build it the same way, so they hold the same bits.
/// </summary>
public sealed record PreparedData(LabeledData Train, LabeledData Test, Preprocessing Preprocessing, LabeledData? Validation = null)
{
    /// <summary>
    /// Loads <paramref name="spec"/> (its labels read as <paramref name="targets"/>), holds out
    /// <paramref name="testFraction"/> with <paramref name="seed"/> and then <paramref name="validationFraction"/> of the
    /// training part (0: none), and fits the preprocessing on what is left.
    /// </summary>
    public static PreparedData Load(string spec, string? labelColumn, ulong seed, double testFraction, double validationFraction = 0, TargetKind targets = TargetKind.Classes)
    {
        var split = DataSources.Load(spec, labelColumn, seed, testFraction, targets);
        var (train, validation) = validationFraction > 0
            ? Held(DataSplitter.TrainValidation(split.Train, validationFraction, seed))
            : (split.Train, null);
        var preprocessing = Preprocessing.Fit(train.Features);
        return new PreparedData(
            Apply(train, preprocessing), Apply(split.Test, preprocessing), preprocessing, validation is null ? null : Apply(validation, preprocessing));
    }

    /// <summary>The canonical bytes of the training part (see <see cref="TrainingSetBlob"/>).</summary>
    public byte[] TrainingBlob() => TrainingSetBlob.Encode(Train.Features, Train.Targets, Train.ClassCount);

    private static (LabeledData Train, LabeledData? Validation) Held(DataSplit split) => (split.Train, split.Test);

    private static LabeledData Apply(LabeledData data, Preprocessing preprocessing) => data.WithFeatures(preprocessing.Apply(data.Features));
}
