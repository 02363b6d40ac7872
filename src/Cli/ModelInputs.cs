using System.Globalization;
using SegaLearn.Data;
using SegaLearn.Serialization;

namespace SegaLearn.Cli;

/// <summary>A saved model made ready for <c>evaluate</c> and <c>predict</c>: network, preprocessing and the rows to use.</summary>
internal sealed class ModelInputs
{
    private ModelInputs(NeuralNetwork network, Preprocessing preprocessing, LoadedModel model)
    {
        Network = network;
        Preprocessing = preprocessing;
        Model = model;
    }

    public NeuralNetwork Network { get; }

    public Preprocessing Preprocessing { get; }

    public LoadedModel Model { get; }

    /// <summary>How the model's data files hold their labels: numbers for a regression model, classes otherwise.</summary>
    public TargetKind Targets => Network.Architecture.IsRegression ? TargetKind.Values : TargetKind.Classes;

    public IReadOnlyList<string> ClassNames =>
        Model.Metadata.TryGetValue("classes", out var names) && names.Length > 0
            ? names.Split(',')
            : Enumerable.Range(0, Network.Architecture.ClassCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    public static ModelInputs Load(string path)
    {
        var model = ModelFile.Load(path);
        var preprocessing = Preprocessing.FromMetadata(model.Metadata, path);
        var network = new NeuralNetwork(model.Architecture, model.Parameters, dropoutRate: 0, regLambda: 0, seed: 0, backend: Backends.Current);
        return new ModelInputs(network, preprocessing, model);
    }

    /// <summary>
    /// The rows to score: for the data set the model was trained on, its held-out test split (same seed and
    /// fraction) unless <paramref name="allRows"/>; for any other data set, every row.
    /// </summary>
    public (LabeledData Data, string Description) Select(string spec, string? labelColumn, bool allRows = false)
    {
        var metadata = Model.Metadata;
        labelColumn ??= metadata.GetValueOrDefault("label_column") is { Length: > 0 } stored ? stored : null;
        if (!allRows && metadata.GetValueOrDefault("data") == spec
            && ulong.TryParse(metadata.GetValueOrDefault("seed"), NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
            && double.TryParse(metadata.GetValueOrDefault("test_fraction"), NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction))
        {
            var test = DataSources.Load(spec, labelColumn, seed, fraction, Targets).Test;
            return (test, $"{test.Name}, held-out test split ({test.Rows} rows)");
        }

        var all = DataSources.LoadAll(spec, labelColumn, targets: Targets);
        return (all, $"{all.Name}, all {all.Rows} rows");
    }

    /// <summary>
    /// The inputs to predict: every row of <paramref name="spec"/>, in its order, also for the data set the model was
    /// trained on (a user predicting a file expects one output row per input row). A CSV file with exactly the model's
    /// input columns (no label column) is read as unlabeled data.
    /// </summary>
    public (Features Features, string Description) SelectForPrediction(string spec, string? labelColumn)
    {
        if (labelColumn is null && spec.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && File.Exists(spec))
        {
            var unlabeled = CsvDataReader.ReadUnlabeled(spec);
            if (unlabeled.Columns == Network.Architecture.InputSize)
            {
                return (Preprocessing.Apply(unlabeled), $"{spec}, all {unlabeled.Rows} rows, unlabeled");
            }
        }

        labelColumn ??= Model.Metadata.GetValueOrDefault("label_column") is { Length: > 0 } stored ? stored : null;
        var all = DataSources.LoadAll(spec, labelColumn, targets: Targets);
        return (Prepare(all), $"{all.Name}, all {all.Rows} rows");
    }

    public Features Prepare(LabeledData data)
    {
        if (!data.IsRegression && data.ClassCount > Network.Architecture.ClassCount)
        {
            throw new BadInputException(
                $"{data.Name}: labels go up to {data.ClassCount - 1}, the model predicts {Network.Architecture.ClassCount} classes");
        }

        return Preprocessing.Apply(data.Features);
    }
}
