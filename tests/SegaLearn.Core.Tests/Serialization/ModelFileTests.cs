using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SegaLearn.Serialization;

namespace SegaLearn.Core.Tests.Serialization;

public sealed class ModelFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (NetworkArchitecture Architecture, float[] Parameters) Model(params int[] sizes)
    {
        var architecture = new NetworkArchitecture(sizes);
        var parameters = new float[new ParameterLayout(sizes).TotalCount];
        var random = new Random(42);
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(random.NextDouble() - 0.5) * 3;
        }

        return (architecture, parameters);
    }

    [Fact]
    public void RoundTripKeepsArchitectureParametersAndMetadata()
    {
        var architecture = new NetworkArchitecture([6, 5, 4, 3], [Activation.LeakyReLU(0.2f), Activation.Tanh, Activation.Softmax]);
        var parameters = Model(6, 5, 4, 3).Parameters;
        parameters[0] = -0.0f;
        parameters[1] = float.Epsilon;
        var path = _dir.File("model.safetensors");
        var extra = new Dictionary<string, string> { ["standardize.mean"] = "0.5,1.5", ["dataset"] = "digits" };
        ModelFile.Save(path, architecture, parameters, extra);

        var loaded = ModelFile.Load(path);
        Assert.Equal(architecture, loaded.Architecture);
        Assert.Equal(
            parameters.Select(BitConverter.SingleToInt32Bits),
            loaded.Parameters.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal("segalearn/1", loaded.Metadata["format"]);
        Assert.Equal("6,5,4,3", loaded.Metadata["layers"]);
        Assert.Equal("leaky_relu:0.2,tanh,softmax", loaded.Metadata["activations"]);
        Assert.Equal("cross-entropy", loaded.Metadata["loss"]);
        Assert.Equal("0.5,1.5", loaded.Metadata["standardize.mean"]);
        Assert.Equal("digits", loaded.Metadata["dataset"]);
    }

    [Fact]
    public void BinaryModelRoundTrips()
    {
        var (architecture, parameters) = Model(3, 2, 1);
        var path = _dir.File("binary.safetensors");
        ModelFile.Save(path, architecture, parameters);
        var loaded = ModelFile.Load(path);
        Assert.Equal(LossKind.BinaryCrossEntropy, loaded.Architecture.Loss);
        Assert.Equal(parameters, loaded.Parameters);
    }

    [Fact]
    public void WeightsAreStoredTransposedLikePyTorchLinear()
    {
        // Layers [2,3,1]: our layer 0 weight is [in=2, out=3] row-major, then bias [3]; layer 1 weight [3,1], bias [1].
        float[] parameters =
        [
            1, 2, 3,
            4, 5, 6,
            0.5f, 0.25f, 0.125f,
            7, 8, 9,
            -1,
        ];
        var path = _dir.File("tiny.safetensors");
        ModelFile.Save(path, new NetworkArchitecture([2, 3, 1]), parameters);

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        float[] Read(string name, out int[] shape)
        {
            var entry = header.RootElement.GetProperty(name);
            Assert.Equal("F32", entry.GetProperty("dtype").GetString());
            shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var values = new float[(offsets[1] - offsets[0]) / 4];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + headerLength + offsets[0] + (4 * i)));
            }

            return values;
        }

        var w0 = Read("0.weight", out var shape0);
        Assert.Equal([3, 2], shape0);
        Assert.Equal([1f, 4f], w0[..2]); // row 0 of [out, in] is our column 0
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], w0);
        Assert.Equal([0.5f, 0.25f, 0.125f], Read("0.bias", out var shapeB0));
        Assert.Equal([3], shapeB0);
        Assert.Equal([7f, 8f, 9f], Read("2.weight", out var shape2));
        Assert.Equal([1, 3], shape2);
        Assert.Equal([-1f], Read("2.bias", out _));
    }

    [Fact]
    public void SavingTwiceGivesIdenticalBytes()
    {
        var (architecture, parameters) = Model(8, 6, 4);
        var extra = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" };
        var first = _dir.File("first.safetensors");
        var second = _dir.File("second.safetensors");
        ModelFile.Save(first, architecture, parameters, extra);
        ModelFile.Save(second, architecture, parameters, new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void HeaderIsAlignedJsonWithMetadataFirstAndKeysInOrder()
    {
        var (architecture, parameters) = Model(4, 3, 2);
        var path = _dir.File("model.safetensors");
        ModelFile.Save(path, architecture, parameters, new Dictionary<string, string> { ["note"] = "x" });
        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(8 + headerLength + (4 * parameters.Length), bytes.Length);
        var text = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("{\"__metadata__\":{\"format\":\"segalearn/1\",\"layers\":\"4,3,2\",\"activations\":\"relu,softmax\",\"loss\":\"cross-entropy\",\"note\":\"x\"},", text, StringComparison.Ordinal);
        Assert.Contains("\"0.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[0,48]}", text, StringComparison.Ordinal);
        using var header = JsonDocument.Parse(text);
        Assert.Equal(["__metadata__", "0.weight", "0.bias", "2.weight", "2.bias"], header.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void TruncatedFilesAreRejectedWithTheFileName()
    {
        var (architecture, parameters) = Model(5, 4, 3);
        var path = _dir.File("model.safetensors");
        ModelFile.Save(path, architecture, parameters);
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var cut = _dir.File("cut.safetensors");
        foreach (var length in new[] { 0, 3, 7, 8, 20, 8 + headerLength - 1, 8 + headerLength, 8 + headerLength + 5, bytes.Length - 1 })
        {
            File.WriteAllBytes(cut, bytes[..length]);
            var error = Assert.Throws<BadInputException>(() => ModelFile.Load(cut));
            Assert.StartsWith(cut + ": truncated (", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error.Message);
        }

        File.WriteAllBytes(cut, bytes[..100]);
        Assert.Equal($"{cut}: truncated (header declares {headerLength} bytes, file has 100)", Assert.Throws<BadInputException>(() => ModelFile.Load(cut)).Message);
    }

    [Fact]
    public void GarbageIsNotASafetensorsFile()
    {
        var path = _dir.File("garbage.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(16L), .. "hello, world!!!!"u8.ToArray()]);
        Assert.Equal($"{path}: not a safetensors file (header is not JSON)", Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message);

        File.WriteAllText(path, "this is a text file, not a model at all");
        Assert.Contains(path + ": not a safetensors file", Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SafetensorsWithoutTheFormatTagIsNotAModel()
    {
        var path = _dir.File("other.safetensors");
        SafeTensorsFile.Write(path, [new SafeTensor("0.weight", [1, 1], [1f])], [new("format", "pt")]);
        Assert.Equal($"{path}: not a SegaLearn model (no segalearn/1 format tag)", Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message);
        SafeTensorsFile.Write(path, [new SafeTensor("0.weight", [1, 1], [1f])]);
        Assert.Equal($"{path}: not a SegaLearn model (no segalearn/1 format tag)", Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void WrongShapeNamesTheTensorAndBothShapes()
    {
        var (architecture, parameters) = Model(64, 32, 10);
        var path = _dir.File("model.safetensors");
        ModelFile.Save(path, architecture, parameters);
        var content = SafeTensorsFile.Read(path);
        var tensors = content.Tensors.Select(t => t.Name == "2.weight" ? new SafeTensor(t.Name, [32, 64], new float[32 * 64]) : t).ToArray();
        SafeTensorsFile.Write(path, tensors, content.Metadata.ToList());
        Assert.Equal(
            $"{path}: tensor '2.weight' has shape [32,64], the architecture needs [10,32]",
            Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void MissingAndExtraTensorsAreRejected()
    {
        var (architecture, parameters) = Model(4, 3, 2);
        var path = _dir.File("model.safetensors");
        ModelFile.Save(path, architecture, parameters);
        var content = SafeTensorsFile.Read(path);
        SafeTensorsFile.Write(path, content.Tensors.Where(t => t.Name != "0.bias").ToArray(), content.Metadata.ToList());
        Assert.StartsWith($"{path}: tensor '0.bias' is missing", Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
        SafeTensorsFile.Write(path, [.. content.Tensors, new SafeTensor("4.weight", [1], [0f])], content.Metadata.ToList());
        Assert.StartsWith($"{path}: tensor '4.weight' is not part of the architecture", Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteValuesAreRejected(float bad)
    {
        var (architecture, parameters) = Model(4, 3, 2);
        var path = _dir.File("model.safetensors");
        ModelFile.Save(path, architecture, parameters);
        var content = SafeTensorsFile.Read(path);
        content.Find("2.bias")!.Data[1] = bad;
        SafeTensorsFile.Write(path, content.Tensors, content.Metadata.ToList());
        var message = Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message;
        Assert.StartsWith($"{path}: tensor '2.bias' holds a non-finite value", message, StringComparison.Ordinal);

        parameters[3] = bad;
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, architecture, parameters));
    }

    [Theory]
    [InlineData("layers", "4,x,2", "metadata 'layers' is '4,x,2'")]
    [InlineData("activations", "relu,swish", "unknown activation 'swish'")]
    [InlineData("loss", "hinge", "unknown loss 'hinge'")]
    public void BadArchitectureMetadataIsRejected(string key, string value, string expected)
    {
        var (architecture, parameters) = Model(4, 3, 2);
        var path = _dir.File("model.safetensors");
        ModelFile.Save(path, architecture, parameters);
        var content = SafeTensorsFile.Read(path);
        var metadata = content.Metadata.Select(e => e.Key == key ? new KeyValuePair<string, string>(key, value) : e).ToList();
        SafeTensorsFile.Write(path, content.Tensors, metadata);
        var message = Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message;
        Assert.StartsWith(path + ": ", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileAndReservedMetadataKeys()
    {
        var path = _dir.File("none.safetensors");
        Assert.Equal($"model file '{path}' not found", Assert.Throws<BadInputException>(() => ModelFile.Load(path)).Message);
        var (architecture, parameters) = Model(4, 3, 2);
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, architecture, parameters, new Dictionary<string, string> { ["layers"] = "1,2" }));
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, architecture, parameters.AsSpan(1)));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void MissingDirectoryIsABadInput()
    {
        var path = Path.Combine(_dir.Path, "nope", "model.safetensors");
        var (architecture, parameters) = Model(4, 3, 2);
        Assert.Equal(
            $"cannot write '{path}': directory '{Path.Combine(_dir.Path, "nope")}' does not exist",
            Assert.Throws<BadInputException>(() => ModelFile.Save(path, architecture, parameters)).Message);
    }

    [Fact]
    public void Save_should_write_extra_metadata_in_ordinal_key_order_and_name_a_reserved_key()
    {
        var (architecture, parameters) = Model(4, 3, 2);
        var path = _dir.File("model.safetensors");
        ModelFile.Save(path, architecture, parameters, new Dictionary<string, string> { ["b"] = "2", ["B"] = "3", ["a"] = "1" });
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Contains("\"loss\":\"cross-entropy\",\"B\":\"3\",\"a\":\"1\",\"b\":\"2\"}", text, StringComparison.Ordinal);

        var error = Assert.Throws<ArgumentException>(() => ModelFile.Save(path, architecture, parameters, new Dictionary<string, string> { ["loss"] = "mse" }));
        Assert.Equal("metadata key 'loss' is reserved for the model's own entries (Parameter 'extraMetadata')", error.Message);
        Assert.Throws<ArgumentException>(() => ModelFile.Load(string.Empty));
    }
}
