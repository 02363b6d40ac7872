namespace SegaLearn.Data;

/// <summary>
/// A classification data set: a feature matrix and one class index per row, with optional class and feature
/// names. The constructor checks that there is one label per row and that every label is a valid class index.
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

        if (featureNames is not null && featureNames.Count != features.Columns)
        {
            throw new ArgumentException(
                $"{featureNames.Count} feature names for {features.Columns} columns", nameof(featureNames));
        }

        Features = features;
        Labels = labels;
        ClassCount = classCount;
        Name = name;
        ClassNames = classNames;
        FeatureNames = featureNames;
    }

    public Features Features { get; }

    /// <summary>The class index of each row, in 0..ClassCount-1.</summary>
    public int[] Labels { get; }

    public int ClassCount { get; }

    /// <summary>The data set's name (a built-in name or the file it came from), used in messages.</summary>
    public string Name { get; }

    /// <summary>The name of each class, when known (ClassCount entries).</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The name of each feature column, when known (Features.Columns entries).</summary>
    public IReadOnlyList<string>? FeatureNames { get; }

    public int Rows => Features.Rows;

    /// <summary>A new data set with the given rows, in order, and the same classes and names.</summary>
    public LabeledData SelectRows(ReadOnlySpan<int> rowIndices)
    {
        var features = Features.SelectRows(rowIndices);
        var labels = new int[rowIndices.Length];
        for (var i = 0; i < rowIndices.Length; i++)
        {
            labels[i] = Labels[rowIndices[i]];
        }

        return new LabeledData(features, labels, ClassCount, Name, ClassNames, FeatureNames);
    }

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
}
