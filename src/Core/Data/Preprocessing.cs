using System.Globalization;

namespace SegaLearn.Data;

/// <summary>
/// How raw features become network inputs, fitted on the training rows and stored in the model file's metadata so
/// <c>evaluate</c> and <c>predict</c> apply the same transform: per-column standardization for dense data, and
/// nothing more for byte images, which are already scaled to [0, 1] as they are gathered.
/// </summary>
public sealed class Preprocessing
{
    private const string KindKey = "preprocessing";
    private const string MeanKey = "standardize_mean";
    private const string StdKey = "standardize_std";

    private readonly Standardizer? _standardizer;

    private Preprocessing(Standardizer? standardizer) => _standardizer = standardizer;

    /// <summary>Whether features are standardized (dense data) rather than passed through (byte images).</summary>
    public bool Standardizes => _standardizer is not null;

    /// <summary>The standardization of dense data, or null for byte images (for exporters that write it out).</summary>
    public Standardizer? Standardizer => _standardizer;

    public static Preprocessing Fit(Features training) =>
        new(training is ByteFeatures ? null : Standardizer.Fit(training));

    public static Preprocessing FromMetadata(IReadOnlyDictionary<string, string> metadata, string source)
    {
        var kind = metadata.GetValueOrDefault(KindKey);
        if (kind == "none")
        {
            return new Preprocessing(null);
        }

        if (kind != "standardize" || !metadata.TryGetValue(MeanKey, out var mean) || !metadata.TryGetValue(StdKey, out var std))
        {
            throw new BadInputException($"{source}: the model's metadata has no valid '{KindKey}' entry");
        }

        return new Preprocessing(new Standardizer(ParseFloats(mean, source, MeanKey), ParseFloats(std, source, StdKey)));
    }

    public Features Apply(Features features)
    {
        if (_standardizer is null)
        {
            return features;
        }

        if (features.Columns != _standardizer.Columns)
        {
            throw new BadInputException($"the data has {features.Columns} features, the model was trained on {_standardizer.Columns}");
        }

        return _standardizer.Transform(features);
    }

    public void AddTo(IDictionary<string, string> metadata)
    {
        metadata[KindKey] = _standardizer is null ? "none" : "standardize";
        if (_standardizer is not null)
        {
            metadata[MeanKey] = string.Join(',', _standardizer.Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            metadata[StdKey] = string.Join(',', _standardizer.Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        }
    }

    private static float[] ParseFloats(string text, string source, string key)
    {
        var parts = text.Split(',');
        var values = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
            {
                throw new BadInputException($"{source}: metadata '{key}' value {i + 1} ('{parts[i]}') is not a finite number");
            }
        }

        return values;
    }
}
