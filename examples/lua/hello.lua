-- Runs under the lua5.4 Runner defined next to this file.
local name = os.getenv("GREETING_NAME") or "world"
print(string.format("hello from %s, %s!", _VERSION, name))
for i = 1, 3 do
  print(string.format("%d squared is %d", i, i * i))
end
