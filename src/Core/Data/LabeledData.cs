namespace SegaLearn.Data;

/// <summary>
/// A data set: a feature matrix and what to predict for each row, a class index (classification, with optional class
/// names) or real values (regression), with optional feature names. The constructors check that there is one label
/// per row and that every class label is a valid class index and every value finite.
/// </summary>
public sealed class LabeledData
{
    /// <exception cref="BadInputException">The labels do not match the rows or a label is outside 0..ClassCount-1.</exception>
    public LabeledData(
        Features features,
        int[] labels,
        int classCount,
        string name,
        IReadOnlyList<string>? classNames = null,
        IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (labels.Length != features.Rows)
        {
            throw new BadInputException($"{name}: {labels.Length} labels for {features.Rows} rows");
        }

        if (classCount < 1)
        {
            throw new BadInputException($"{name}: class count is {classCount}, needs at least 1");
        }

        for (var row = 0; row < labels.Length; row++)
        {
            if ((uint)labels[row] >= (uint)classCount)
            {
                throw new BadInputException(
                    $"{name}: row {row} (0-based) has label {labels[row]}, outside 0..{classCount - 1}");
            }
        }

        if (classNames is not null && classNames.Count != classCount)
        {
            throw new ArgumentException($"{classNames.Count} class names for {classCount} classes", nameof(classNames));
        }

        CheckFeatureNames(features, featureNames);
        Features = features;
        Targets = Targets.FromClasses(labels);
        ClassCount = classCount;
        Name = name;
        ClassNames = classNames;
        FeatureNames = featureNames;
    }

    /// <summary>A regression data set: <paramref name="targets"/> holds real values (<see cref="Targets.FromValues"/>).</summary>
    /// <exception cref="BadInputException">The targets do not match the rows or a value is NaN or infinite.</exception>
    public LabeledData(Features features, Targets targets, string name, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!targets.IsRegression)
        {
            throw new ArgumentException("class targets need the constructor that takes the class count", nameof(targets));
        }

        if (targets.Rows != features.Rows)
        {
            throw new BadInputException($"{name}: {targets.Rows} target rows for {features.Rows} rows");
        }

        var values = targets.Values;
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new BadInputException($"{name}: row {i / targets.Width} (0-based) has the target value {values[i]}, which is not finite");
            }
        }

        CheckFeatureNames(features, featureNames);
        Features = features;
        Targets = targets;
        Name = name;
        FeatureNames = featureNames;
    }

    public Features Features { get; }

    /// <summary>What to predict for each row: the class labels, or the regression values.</summary>
    public Targets Targets { get; }

    /// <summary>Whether this is a regression data set (real-valued targets).</summary>
    public bool IsRegression => Targets.IsRegression;

    /// <summary>The class index of each row, in 0..ClassCount-1.</summary>
    /// <exception cref="InvalidOperationException">This is a regression data set.</exception>
    public int[] Labels => Targets.Classes;

    /// <summary>The number of classes; 0 for a regression data set.</summary>
    public int ClassCount { get; }

    /// <summary>The data set's name (a built-in name or the file it came from), used in messages.</summary>
    public string Name { get; }

    /// <summary>The name of each class, when known (ClassCount entries).</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The name of each feature column, when known (Features.Columns entries).</summary>
    public IReadOnlyList<string>? FeatureNames { get; }

    public int Rows => Features.Rows;

    /// <summary>A new data set with the given rows, in order, and the same classes and names.</summary>
    public LabeledData SelectRows(ReadOnlySpan<int> rowIndices) => WithFeatures(Features.SelectRows(rowIndices), Targets.SelectRows(rowIndices));

    /// <summary>The same targets and names with other features of the same rows (e.g. standardized).</summary>
    public LabeledData WithFeatures(Features features) => WithFeatures(features, Targets);

    /// <summary>How many rows each class has (ClassCount entries).</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (var label in Labels)
        {
            counts[label]++;
        }

        return counts;
    }

    private static void CheckFeatureNames(Features features, IReadOnlyList<string>? featureNames)
    {
        if (featureNames is not null && featureNames.Count != features.Columns)
        {
            throw new ArgumentException(
                $"{featureNames.Count} feature names for {features.Columns} columns", nameof(featureNames));
        }
    }

    private LabeledData WithFeatures(Features features, Targets targets) =>
        targets.IsRegression
            ? new LabeledData(features, targets, Name, FeatureNames)
            : new LabeledData(features, targets.Classes, ClassCount, Name, ClassNames, FeatureNames);
}
