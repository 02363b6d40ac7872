using SegaLearn.Data;
using SegaLearn.Protocol;
using SegaLearn.Serialization;

namespace SegaLearn.Worker;

/// <summary>
/// How a remote worker gets the exact training set of a job: from its cache of verified blobs, by building it the
/// way the coordinator did (same built-in set or file path, split seed and preprocessing) when that gives the same
/// SHA-256, or else from chunks fetched from the coordinator (<see cref="ChunkAssembly"/>), verified and cached.
/// </summary>
public static class TrainingSetSource
{
    /// <summary>Where verified blobs are cached: <c>SEGALEARN_CACHE</c>, else the user's cache folder.</summary>
    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable("SEGALEARN_CACHE") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "segalearn", "blobs");

    /// <summary>
    /// The training set from the cache or a local build (labels read as <paramref name="targets"/>, which the job's loss
    /// decides), or null with the reason it must be fetched.
    /// </summary>
    public static (LabeledData? Data, string? Why) TryLocal(DataReference reference, TargetKind targets)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var cached = CachePath(reference);
        if (File.Exists(cached))
        {
            var bytes = File.ReadAllBytes(cached);
            if (TrainingSetBlob.Sha256(bytes) == reference.Sha256)
            {
                return (TrainingSetBlob.Decode(bytes, cached), null);
            }
        }

        PreparedData prepared;
        try
        {
            prepared = PreparedData.Load(reference.Spec, reference.LabelColumn, reference.SplitSeed, reference.TestFraction, reference.ValidationFraction, targets);
        }
        catch (BadInputException e)
        {
            return (null, $"'{reference.Spec}' could not be loaded here: {e.Message}");
        }

        // The blob is only the proof: equal bytes mean the training part built here is the coordinator's.
        return TrainingSetBlob.Sha256(prepared.TrainingBlob()) == reference.Sha256
            ? (prepared.Train, null)
            : (null, $"'{reference.Spec}' here differs from the coordinator's (SHA-256 mismatch)");
    }

    /// <summary>Checks a fetched blob against the reference, caches it atomically and decodes it.</summary>
    public static LabeledData Accept(DataReference reference, byte[] blob)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(blob);
        var sha = TrainingSetBlob.Sha256(blob);
        if (sha != reference.Sha256)
        {
            throw new InvalidDataException($"training set fetched from the coordinator has SHA-256 {sha}, expected {reference.Sha256}");
        }

        var path = CachePath(reference);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, stream => stream.Write(blob));
        return TrainingSetBlob.Decode(blob, path);
    }

    private static string CachePath(DataReference reference) => Path.Combine(CacheDirectory, $"{reference.Sha256}.blob");
}
