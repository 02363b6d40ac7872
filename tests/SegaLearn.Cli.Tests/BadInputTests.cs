namespace SegaLearn.Cli.Tests;

/// <summary>
/// Every bad input of DESIGN.md §5 that applies to one process, through the real command: exit code 2, one line on
/// stderr that names the problem, no stack trace, and no model or metrics file left behind.
/// </summary>
public sealed class BadInputTests
{
    private const string GoodCsv = "a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n";

    public static TheoryData<string, string, string[], string> Cases() => new()
    {
        { "ragged.csv", "a,b,label\n1,2,0\n3,1\n", ["train", "--data", "ragged.csv"], "ragged.csv:3: row has 2 values, header has 3" },
        { "text.csv", "a,b,label\n1,2,0\n3,abc,1\n", ["train", "--data", "text.csv"], "text.csv:3:2 (column 'b'): 'abc' is not a number" },
        { "nan.csv", "a,b,label\n1,NaN,0\n3,4,1\n", ["train", "--data", "nan.csv"], "nan.csv:2:2 (column 'b')" },
        { "inf.csv", "a,b,label\n1,2,0\n3,-Infinity,1\n", ["train", "--data", "inf.csv"], "inf.csv:3:2 (column 'b')" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--label-column", "nope"], "label column 'nope' not found" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--layers", "2,4,3"], "--layers: the output size is 3 but the data has 2 classes" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--layers", "5,4,2"], "--layers: the input size is 5 but the data has 2 features" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--layers", "2,x,2"], "--layers: 'x' is not a positive whole number" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--layers", "2,4,2", "--activations", "relu"], "--activations: 1 given, --layers 2,4,2 has 2 dense layer(s)" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--activations", "relu,swish"], "--activations: unknown activation 'swish'" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--optimizer", "rmsprop"], "--optimizer: unknown optimizer 'rmsprop'" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--scheduler", "cosine"], "--scheduler: unknown scheduler 'cosine'" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--wire", "int8"], "--wire: unknown wire format 'int8' (expected float32 or bfloat16)" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--loss", "hinge"], "unknown loss 'hinge'" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--backend", "gpu"], "unknown backend 'gpu'" },
        { "reg.csv", "a,b,y\n1,2,0.5\n3,4,high\n", ["train", "--data", "reg.csv", "--loss", "mse"], "reg.csv:3:3 (column 'y'): label 'high' is not a number" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--loss", "huber", "--huber-delta", "0"], "--huber-delta must be a positive number, got 0" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--loss", "mse", "--huber-delta", "2"], "--huber-delta applies to --loss huber only" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--loss", "mae", "--layers", "2,4,2"], "--layers: the output size is 2 but a regression on one label column predicts 1 value" },
        { "reg.csv", "a,b,y\n1,2,0.5\n3,4,1.25\n5,6,2\n", ["train", "--data", "reg.csv", "--loss", "bce"], "--loss bce needs 2 classes, the label texts of reg.csv make 3" },
        { "good.csv", GoodCsv, ["train", "--data", "digits", "--loss", "mse"], "--loss mse: digits: regression targets are read from the label column of a .csv file" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--lr", "0"], "--lr must be a positive number, got 0" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--lr", "-0.5"], "--lr must be a positive number, got -0.5" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--batch-size", "0"], "--batch-size must be a positive number, got 0" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--epochs", "-3"], "--epochs must be a positive number, got -3" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--dropout", "1.5"], "--dropout must be in [0, 1), got 1.5" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--epochs", "many"], "many" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--bogus"], "--bogus" },
        { "good.csv", GoodCsv, ["train", "--data", "nowhere.csv"], "nowhere.csv: file not found" },
        { "good.csv", GoodCsv, ["train", "--data", "mnist-ish"], "unknown data set 'mnist-ish'" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--out", "missing-dir/m.safetensors"], "--out: directory" },
        { "garbage.safetensors", "this is not a model file at all", ["evaluate", "--model", "garbage.safetensors", "--data", "digits"], "garbage.safetensors" },
        { "good.csv", GoodCsv, ["evaluate", "--model", "absent.safetensors", "--data", "digits"], "absent.safetensors" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--workers", "2", "--worker-processes", "2"], "--workers and --worker-processes exclude each other" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--workers", "0"], "--workers must be a positive number, got 0" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--resume", "no-such-dir"], "--resume: directory 'no-such-dir' does not exist" },
        { "good.csv", GoodCsv, ["train", "--data", "good.csv", "--checkpoint-dir", "a", "--resume", "b"], "name different directories" },
        { "good.csv", GoodCsv, ["coordinator", "--data", "good.csv", "--port", "0"], "--port must be a positive number, got 0" },
        { "good.csv", GoodCsv, ["worker", "--join", "nonsense"], "--join: expected HOST:PORT" },
        { "good.csv", GoodCsv, ["worker", "--join", "10.0.0.5:99999"], "--join: expected HOST:PORT" },
        { "good.csv", GoodCsv, ["worker", "--join", "127.0.0.1:4053", "--cpus", "4096"], "--cpus: '4096' is not a CPU this process may use" },
        { "good.csv", GoodCsv, ["worker", "--join", "127.0.0.1:4053", "--cpus", "0,x"], "--cpus: 'x' is not a CPU this process may use" },
        { "good.csv", GoodCsv, ["worker", "--join", "127.0.0.1:4053", "--nice", "20"], "--nice must be a nice value from 0 to 19, got 20" },
        { "good.csv", GoodCsv, ["worker", "--join", "127.0.0.1:4053", "--nice", "-1"], "--nice must be a nice value from 0 to 19, got -1" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Command_should_exit_2_with_one_line_naming_the_problem_when_input_is_bad(string file, string content, string[] args, string expected)
    {
        using var dir = new TempDirectory();
        dir.Write(file, content);
        var result = SegaLearnProcess.Run(dir.Path, args);
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal([dir.File(file)], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Train_should_refuse_labels_out_of_range_for_the_output_layer_and_write_nothing()
    {
        using var dir = new TempDirectory();
        dir.Write("three.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n9,10,0\n");
        var result = SegaLearnProcess.Run(dir.Path, "train", "--data", "three.csv", "--loss", "bce", "--out", "m.safetensors", "--metrics", "m.jsonl");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--layers", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("m.safetensors")));
        Assert.False(File.Exists(dir.File("m.jsonl")));
    }

    [Fact]
    public void Evaluate_should_refuse_a_truncated_model_file()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, "train", "--data", "breast-cancer", "--epochs", "1", "--out", "m.safetensors").ExitCode);
        var bytes = File.ReadAllBytes(dir.File("m.safetensors"));
        File.WriteAllBytes(dir.File("cut.safetensors"), bytes[..(bytes.Length / 2)]);
        var result = SegaLearnProcess.Run(dir.Path, "evaluate", "--model", "cut.safetensors", "--data", "breast-cancer");
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("cut.safetensors", line, StringComparison.Ordinal);
        Assert.Contains("truncated", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_should_refuse_data_whose_labels_the_model_cannot_predict()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, "train", "--data", "breast-cancer", "--epochs", "1", "--out", "m.safetensors").ExitCode);
        dir.Write("many.csv", "label," + string.Join(',', Enumerable.Range(0, 30).Select(i => $"f{i}")) + "\n" +
            string.Join('\n', Enumerable.Range(0, 4).Select(r => $"{r}," + string.Join(',', Enumerable.Repeat("1.5", 30)))) + "\n");
        var result = SegaLearnProcess.Run(dir.Path, "evaluate", "--model", "m.safetensors", "--data", "many.csv", "--label-column", "label");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the model predicts 2 classes", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
