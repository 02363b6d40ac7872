using System.Globalization;

namespace SegaLearn.Serialization;

/// <summary>
/// A trained model as one <c>.safetensors</c> file that PyTorch loads into
/// <c>nn.Sequential(Linear, act, Linear, act, ...)</c> with <c>load_state_dict(strict=True)</c>: layer l is stored as
/// <c>{2l}.weight</c> shaped [out, in] (the transpose of our [in, out]) and <c>{2l}.bias</c> shaped [out], all F32.
/// The header metadata holds <c>format</c> = <c>segalearn/1</c>, <c>layers</c> (<c>64,32,10</c>),
/// <c>activations</c> (<c>relu,softmax</c>), <c>loss</c> (<see cref="NetworkArchitecture.LossText"/>: <c>cross-entropy</c>,
/// <c>bce</c>, <c>mse</c>, <c>mae</c>, <c>huber</c> or <c>huber:δ</c>) and any extra entries,
/// sorted by key. Nothing time-dependent is written: the same model gives the same bytes.
/// </summary>
public static class ModelFile
{
    /// <summary>The format tag of SegaLearn model files.</summary>
    public const string Format = "segalearn/1";

    private static readonly string[] ReservedKeys = ["format", "layers", "activations", "loss"];

    /// <summary>Saves a model atomically to <paramref name="path"/>.</summary>
    /// <param name="path">The file to create or replace; its directory must exist.</param>
    /// <param name="architecture">What the network is.</param>
    /// <param name="parameters">The flat buffer in <see cref="ParameterLayout"/> order; every value finite.</param>
    /// <param name="extraMetadata">More string entries for the header (e.g. preprocessing); keys must not be
    /// <c>format</c>, <c>layers</c>, <c>activations</c> or <c>loss</c>.</param>
    /// <exception cref="BadInputException">The directory does not exist.</exception>
    public static void Save(string path, NetworkArchitecture architecture, ReadOnlySpan<float> parameters, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(architecture);
        var layout = new ParameterLayout(architecture.LayerSizes);
        if (parameters.Length != layout.TotalCount)
        {
            throw new ArgumentException(
                $"layers {architecture.LayersText} have {layout.TotalCount} parameters, got {parameters.Length}", nameof(parameters));
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            if (!float.IsFinite(parameters[i]))
            {
                throw new ArgumentException(
                    $"parameter {i} is {parameters[i].ToString(CultureInfo.InvariantCulture)}; a model with non-finite values cannot be loaded back",
                    nameof(parameters));
            }
        }

        var metadata = new List<KeyValuePair<string, string>>
        {
            new("format", Format),
            new("layers", architecture.LayersText),
            new("activations", architecture.ActivationsText),
            new("loss", architecture.LossText),
        };
        if (extraMetadata is not null)
        {
            foreach (var (key, value) in extraMetadata.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                if (ReservedKeys.Contains(key, StringComparer.Ordinal))
                {
                    throw new ArgumentException($"metadata key '{key}' is reserved for the model's own entries", nameof(extraMetadata));
                }

                metadata.Add(new(key, value));
            }
        }

        var tensors = new List<SafeTensor>(2 * layout.LayerCount);
        for (var l = 0; l < layout.LayerCount; l++)
        {
            int inputs = layout.InputsOf(l), outputs = layout.OutputsOf(l);
            var weights = layout.Weights(parameters, l);
            var transposed = new float[weights.Length];
            for (var i = 0; i < inputs; i++)
            {
                for (var o = 0; o < outputs; o++)
                {
                    transposed[(o * inputs) + i] = weights[(i * outputs) + o];
                }
            }

            tensors.Add(new SafeTensor(WeightName(l), [outputs, inputs], transposed));
            tensors.Add(new SafeTensor(BiasName(l), [outputs], layout.Bias(parameters, l).ToArray()));
        }

        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>Loads and validates the model file at <paramref name="path"/>.</summary>
    /// <exception cref="BadInputException">The file is missing, is not a valid safetensors file, is not a SegaLearn
    /// model, or its tensors do not fit its architecture or hold non-finite values.</exception>
    public static LoadedModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new BadInputException($"model file '{path}' not found");
        }

        var content = SafeTensorsFile.Read(path);
        var metadata = content.Metadata;
        if (!metadata.TryGetValue("format", out var format) || format != Format)
        {
            throw new BadInputException($"{path}: not a SegaLearn model (no {Format} format tag)");
        }

        var architecture = ReadArchitecture(path, metadata);
        var layout = new ParameterLayout(architecture.LayerSizes);
        var parameters = new float[layout.TotalCount];
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (var l = 0; l < layout.LayerCount; l++)
        {
            int inputs = layout.InputsOf(l), outputs = layout.OutputsOf(l);
            var weight = Tensor(path, content, WeightName(l), [outputs, inputs]);
            var into = layout.Weights(parameters.AsSpan(), l);
            for (var o = 0; o < outputs; o++)
            {
                for (var i = 0; i < inputs; i++)
                {
                    into[(i * outputs) + o] = weight[(o * inputs) + i];
                }
            }

            Tensor(path, content, BiasName(l), [outputs]).CopyTo(layout.Bias(parameters.AsSpan(), l));
            expected.Add(WeightName(l));
            expected.Add(BiasName(l));
        }

        foreach (var tensor in content.Tensors)
        {
            if (!expected.Contains(tensor.Name))
            {
                throw new BadInputException($"{path}: tensor '{tensor.Name}' is not part of the architecture (layers {architecture.LayersText})");
            }
        }

        return new LoadedModel(architecture, parameters, metadata);
    }

    /// <summary>The file name of layer <paramref name="layer"/>'s weight, as PyTorch's <c>nn.Sequential</c> numbers it.</summary>
    public static string WeightName(int layer) => string.Create(CultureInfo.InvariantCulture, $"{2 * layer}.weight");

    /// <summary>The file name of layer <paramref name="layer"/>'s bias.</summary>
    public static string BiasName(int layer) => string.Create(CultureInfo.InvariantCulture, $"{2 * layer}.bias");

    private static NetworkArchitecture ReadArchitecture(string path, IReadOnlyDictionary<string, string> metadata)
    {
        var layersText = Entry(path, metadata, "layers");
        var activationsText = Entry(path, metadata, "activations");
        var lossText = Entry(path, metadata, "loss");
        var sizes = new List<int>();
        foreach (var part in layersText.Split(','))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                throw new BadInputException($"{path}: metadata 'layers' is '{layersText}', not a list of layer sizes like 64,32,10");
            }

            sizes.Add(size);
        }

        try
        {
            var activations = activationsText.Split(',').Select(Activation.Parse).ToArray();
            var loss = NetworkArchitecture.ParseLoss(lossText, out var huberDelta);
            return new NetworkArchitecture(sizes, activations, loss, huberDelta);
        }
        catch (BadInputException e)
        {
            throw new BadInputException($"{path}: {e.Message}", e);
        }
    }

    private static string Entry(string path, IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var value) ? value : throw new BadInputException($"{path}: metadata has no '{key}' entry");

    private static float[] Tensor(string path, SafeTensorsContent content, string name, int[] shape)
    {
        var tensor = content.Find(name) ?? throw new BadInputException(
            $"{path}: tensor '{name}' is missing; the architecture needs it with shape {SafeTensor.ShapeText(shape)}");
        if (!tensor.Shape.SequenceEqual(shape))
        {
            throw new BadInputException(
                $"{path}: tensor '{name}' has shape {SafeTensor.ShapeText(tensor.Shape)}, the architecture needs {SafeTensor.ShapeText(shape)}");
        }

        var data = tensor.Data;
        for (var i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                throw new BadInputException(
                    $"{path}: tensor '{name}' holds a non-finite value ({data[i].ToString(CultureInfo.InvariantCulture)}) at index {i}");
            }
        }

        return data;
    }
}
