using SegaLearn.Compute;

namespace SegaLearn;

/// <summary>
/// Chooses the compute backend: <see cref="Use(IComputeBackend)"/> from code, else the environment variable
/// <c>SEGALEARN_BACKEND</c>, else the default, <see cref="SimdBackend"/> on all cores. The command line's
/// <c>--backend</c> calls <see cref="Use(string, int?)"/>.
/// </summary>
public static class Backends
{
    public const string EnvironmentVariable = "SEGALEARN_BACKEND";

    private static readonly Lock Gate = new();
    private static IComputeBackend? _current;

    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["simd", "reference"];

    /// <summary>The backend new networks use unless given one.</summary>
    public static IComputeBackend Current
    {
        get
        {
            lock (Gate)
            {
                if (_current is null)
                {
                    var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
                    _current = string.IsNullOrWhiteSpace(fromEnvironment)
                        ? new SimdBackend()
                        : Create(fromEnvironment, threads: null, source: EnvironmentVariable);
                }

                return _current;
            }
        }
    }

    public static void Use(IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        lock (Gate)
        {
            _current = backend;
        }
    }

    /// <summary>Selects a backend by name with an optional thread count.</summary>
    public static IComputeBackend Use(string name, int? threads = null)
    {
        var backend = Create(name, threads, source: "--backend");
        Use(backend);
        return backend;
    }

    /// <summary>
    /// A new backend by name; <paramref name="source"/> names the option or variable in the error. The reference
    /// backend always runs on one thread.
    /// </summary>
    public static IComputeBackend Create(string name, int? threads = null, string source = "backend")
    {
        ArgumentNullException.ThrowIfNull(name);
        if (threads is <= 0)
        {
            throw new BadInputException($"{nameof(threads)} must be a positive number, got {threads}");
        }

        return name.Trim().ToLowerInvariant() switch
        {
            "simd" => new SimdBackend(threads),
            "reference" => new ReferenceBackend(),
            _ => throw new BadInputException($"{source}: unknown backend '{name}' (expected {string.Join(" or ", Names)})"),
        };
    }

    /// <summary>One line describing the current backend, logged at start.</summary>
    public static string Describe() => Current.Describe();
}
