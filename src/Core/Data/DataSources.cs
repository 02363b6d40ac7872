namespace SegaLearn.Data;

/// <summary>
/// Turns a data specification (what <c>--data</c> takes) into data: <c>digits</c>, <c>breast-cancer</c>,
/// <c>synthetic</c>, <c>fashion-mnist</c>, a <c>.csv</c> file, or a directory of Fashion-MNIST-style IDX files.
/// </summary>
public static class DataSources
{
    public const string FashionMnistName = "fashion-mnist";

    /// <summary>
    /// Loads <paramref name="spec"/> split into training and test sets: built-in sets and CSV files are split by
    /// <see cref="DataSplitter.TrainTest"/> with <paramref name="testFraction"/> and <paramref name="seed"/>
    /// (which also seeds <c>synthetic</c>); IDX directories keep their official train/test split.
    /// <paramref name="labelColumn"/> applies to CSV files only, and so do regression <paramref name="targets"/>
    /// (the built-in sets are classification tasks).
    /// </summary>
    public static DataSplit Load(string spec, string? labelColumn = null, ulong seed = 42, double testFraction = 0.2, TargetKind targets = TargetKind.Classes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        CsvOnlyFor(spec, targets);
        var builtIn = BuiltIn(spec, labelColumn, seed);
        if (builtIn is not null)
        {
            return DataSplitter.TrainTest(builtIn, testFraction, seed);
        }

        if (IsFashionMnist(spec))
        {
            NoLabelColumn(spec, labelColumn);
            return FashionMnist.Load(FashionMnist.DefaultDirectory);
        }

        if (Directory.Exists(spec))
        {
            NoLabelColumn(spec, labelColumn);
            return FashionMnist.Load(spec);
        }

        if (IsCsv(spec))
        {
            return DataSplitter.TrainTest(CsvDataReader.Read(spec, labelColumn, targets), testFraction, seed);
        }

        throw Unknown(spec);
    }

    /// <summary>
    /// Loads all of <paramref name="spec"/> without splitting (for evaluating or predicting on new data): the whole
    /// CSV file or built-in set; for <c>fashion-mnist</c> or an IDX directory, the test part (t10k files).
    /// </summary>
    public static LabeledData LoadAll(string spec, string? labelColumn = null, ulong seed = 42, TargetKind targets = TargetKind.Classes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        CsvOnlyFor(spec, targets);
        var builtIn = BuiltIn(spec, labelColumn, seed);
        if (builtIn is not null)
        {
            return builtIn;
        }

        if (IsFashionMnist(spec))
        {
            NoLabelColumn(spec, labelColumn);
            return FashionMnist.LoadTest(FashionMnist.DefaultDirectory);
        }

        if (Directory.Exists(spec))
        {
            NoLabelColumn(spec, labelColumn);
            return FashionMnist.LoadTest(spec);
        }

        if (IsCsv(spec))
        {
            return CsvDataReader.Read(spec, labelColumn, targets);
        }

        throw Unknown(spec);
    }

    private static LabeledData? BuiltIn(string spec, string? labelColumn, ulong seed)
    {
        LabeledData? data = null;
        if (spec.Equals(BuiltInDatasets.DigitsName, StringComparison.OrdinalIgnoreCase))
        {
            NoLabelColumn(spec, labelColumn);
            data = BuiltInDatasets.Digits();
        }
        else if (spec.Equals(BuiltInDatasets.BreastCancerName, StringComparison.OrdinalIgnoreCase))
        {
            NoLabelColumn(spec, labelColumn);
            data = BuiltInDatasets.BreastCancer();
        }
        else if (spec.Equals(BuiltInDatasets.SyntheticName, StringComparison.OrdinalIgnoreCase))
        {
            NoLabelColumn(spec, labelColumn);
            data = BuiltInDatasets.Synthetic(seed);
        }

        return data;
    }

    private static void CsvOnlyFor(string spec, TargetKind targets)
    {
        if (targets == TargetKind.Values && !IsCsv(spec))
        {
            throw new BadInputException($"{spec}: regression targets are read from the label column of a .csv file; the built-in sets and IDX directories are classification data");
        }
    }

    private static bool IsFashionMnist(string spec) => spec.Equals(FashionMnistName, StringComparison.OrdinalIgnoreCase);

    private static bool IsCsv(string spec) => spec.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    private static void NoLabelColumn(string spec, string? labelColumn)
    {
        if (labelColumn is not null)
        {
            throw new BadInputException($"{spec}: a label column ('{labelColumn}') applies only to CSV files");
        }
    }

    private static BadInputException Unknown(string spec) =>
        new($"unknown data set '{spec}' (expected digits, breast-cancer, synthetic, fashion-mnist, a .csv file or a directory of IDX files)");
}
